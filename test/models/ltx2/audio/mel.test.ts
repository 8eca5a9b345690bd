// Mel front end: FFT and the whole log-mel pipeline against a direct DFT written from the definitions.
// Bound: both sides are float64 (the engine rounds to f32 once at the end), so they agree to f32 rounding of
// the log-mel values (|log| ≤ ~12 → ≤ 1e-6 absolute); framing, window or filterbank mistakes are O(1e-2..1).
import t from "tap";
import { Fft } from "../../../../src/models/ltx2/audio/fft.js";
import { hannPeriodic, hzToMelSlaney, melFilterbank, melToHzSlaney, stftFrameCount } from "../../../../src/models/ltx2/audio/mel.js";
import { AudioProcessor } from "../../../../src/models/ltx2/audio/ops.js";
import { GaussianGenerator } from "../../../../src/models/ltx2/components/noisers.js";
import { logMelDirect } from "../../../reference/ltx2Audio.js";

t.test("FFT equals the direct DFT", async (t) => {
  const n = 64;
  const x = new GaussianGenerator(1).normal(2 * n);
  const re = x.slice(0, n), im = x.slice(n);
  const wantRe: number[] = [], wantIm: number[] = [];
  for (let k = 0; k < n; k++) {
    let a = 0, b = 0;
    for (let j = 0; j < n; j++) {
      const ang = (-2 * Math.PI * k * j) / n;
      a += re[j]! * Math.cos(ang) - im[j]! * Math.sin(ang);
      b += re[j]! * Math.sin(ang) + im[j]! * Math.cos(ang);
    }
    wantRe.push(a);
    wantIm.push(b);
  }
  new Fft(n).transform(re, im);
  let err = 0;
  for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(re[k]! - wantRe[k]!), Math.abs(im[k]! - wantIm[k]!));
  t.ok(err < 1e-12, `max err ${err}`);
  t.throws(() => new Fft(1000), /power of two/);
});

t.test("slaney mel scale, window and filterbank shape", async (t) => {
  t.ok(Math.abs(hzToMelSlaney(1000) - 15) < 1e-12, "1 kHz is mel 15 (linear part: f·3/200)");
  t.ok(Math.abs(hzToMelSlaney(6400) - 42) < 1e-12, "×6.4 in frequency is +27 mel above 1 kHz");
  t.ok(Math.abs(melToHzSlaney(hzToMelSlaney(3333)) - 3333) < 1e-9);
  const w = hannPeriodic(8);
  t.equal(w[0], 0);
  t.ok(Math.abs(w[4]! - 1) < 1e-15, "periodic: peak at n/2, not symmetric around (n−1)/2");
  const fb = melFilterbank(513, 0, 8000, 64, 16000);
  t.equal(fb.length, 513 * 64);
  // Slaney norm: each triangle has area 1 in Hz (height 2/(f_{m+2}−f_m) × base (f_{m+2}−f_m) / 2).
  for (const m of [0, 20, 63]) {
    let area = 0;
    for (let k = 0; k < 513; k++) area += fb[k * 64 + m]! * (8000 / 512);
    t.ok(Math.abs(area - 1) < 0.01, `filter ${m}: area ${area} ≈ 1 (sampled on the 15.6 Hz bin grid)`);
  }
  t.equal(stftFrameCount(16000, 160), 101);
});

t.test("AudioProcessor log-mel equals the direct-DFT reference", async (t) => {
  const n = 1700;
  const g = new GaussianGenerator(2);
  // A chirp-ish tone plus noise in L, a quieter different signal in R, so every bin range is exercised.
  const left = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(2 * Math.PI * (300 + i) * i / 16000));
  const right = Float32Array.from(g.normal(n), (v) => 0.05 * v);
  const p = new AudioProcessor();
  using mel = p.waveformToMel([{ samples: [left, right], sampleRate: 16000 }]);
  const frames = 1 + Math.floor(n / 160);
  t.same(mel.shape, [1, 2, frames, 64], "[B, C, 1 + ⌊N/hop⌋, 64]");
  const got = mel.toFloat32();
  let err = 0;
  [left, right].forEach((sig, c) => {
    const want = logMelDirect(sig, 16000, 1024, 160, 64);
    t.equal(want.length, frames);
    want.forEach((row, tt) => row.forEach((v, m) => {
      err = Math.max(err, Math.abs(got[(c * frames + tt) * 64 + m]! - v));
    }));
  });
  t.ok(err < 2e-6, `max abs err ${err}`);
  // Silence hits the clamp: log(1e-5).
  using quiet = p.waveformToMel([{ samples: [new Float32Array(800), new Float32Array(800)], sampleRate: 16000 }]);
  t.ok(quiet.toFloat32().every((v) => v === Math.fround(Math.log(1e-5))), "log(clamp(0, 1e-5))");
});

t.test("AudioProcessor input errors", async (t) => {
  const p = new AudioProcessor();
  const ok = new Float32Array(1000);
  t.throws(() => p.waveformToMel([{ samples: [ok, ok], sampleRate: 24000 }]), /24000 Hz; resampling is not implemented/);
  t.throws(() => p.waveformToMel([{ samples: [new Float32Array(512), new Float32Array(512)], sampleRate: 16000 }]), /too short/);
  t.throws(() => p.waveformToMel([{ samples: [ok, new Float32Array(999)], sampleRate: 16000 }]), /2 channels of 1000 samples/);
  t.throws(() => p.waveformToMel([]), /empty batch/);
});
