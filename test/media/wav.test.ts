// WAV: header fields byte by byte, sample conversion (clip, ×32767, truncate), round trip, atomic write.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { decodeWav, encodeWav, toInt16, writeWav } from "../../src/media/wav.js";

t.test("header of a 16-bit stereo file", async (t) => {
  const n = 5;
  const buf = encodeWav({ samples: [new Float32Array(n), new Float32Array(n)], sampleRate: 24000 });
  t.equal(buf.length, 44 + n * 4);
  t.equal(buf.toString("ascii", 0, 4), "RIFF");
  t.equal(buf.readUInt32LE(4), 36 + n * 4, "RIFF size = file − 8");
  t.equal(buf.toString("ascii", 8, 16), "WAVEfmt ");
  t.equal(buf.readUInt32LE(16), 16, "fmt chunk size");
  t.equal(buf.readUInt16LE(20), 1, "PCM");
  t.equal(buf.readUInt16LE(22), 2, "channels");
  t.equal(buf.readUInt32LE(24), 24000, "sample rate");
  t.equal(buf.readUInt32LE(28), 24000 * 4, "byte rate");
  t.equal(buf.readUInt16LE(32), 4, "block align");
  t.equal(buf.readUInt16LE(34), 16, "bits");
  t.equal(buf.toString("ascii", 36, 40), "data");
  t.equal(buf.readUInt32LE(40), n * 4, "data size");
});

t.test("samples: interleaved L/R, clipped, ×32767 truncated toward zero", async (t) => {
  const left = Float32Array.from([0, 0.5, -0.5, 1, -1, 2, -3, 1e-5, NaN]);
  const right = Float32Array.from([0.25, -0.25, 0.9999, -0.9999, 0.1, -0.1, 0, 0, 0]);
  const buf = encodeWav({ samples: [left, right], sampleRate: 16000 });
  t.equal(buf.readInt16LE(44), 0);
  t.equal(buf.readInt16LE(46), Math.trunc(0.25 * 32767), "second sample is R of frame 0");
  t.equal(buf.readInt16LE(48), 16383, "0.5·32767 = 16383.5 → 16383");
  t.equal(buf.readInt16LE(52), -16383, "truncation toward zero, not floor");
  const d = decodeWav(buf);
  t.equal(d.sampleRate, 16000);
  t.equal(d.channels, 2);
  t.equal(d.pcm[0]!.length, left.length, "sample count");
  t.same(Array.from(d.pcm[0]!), [0, 16383, -16383, 32767, -32767, 32767, -32767, 0, 0], "clipping to ±32767; NaN → 0");
  t.same(Array.from(d.pcm[1]!), Array.from(right, toInt16));
  // Round trip within one quantization step.
  const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 7) * 0.9);
  const back = decodeWav(encodeWav({ samples: [x, x], sampleRate: 24000 })).pcm[1]!;
  t.ok(x.every((v, i) => Math.abs(v - back[i]! / 32767) <= 1 / 32767), "round trip error ≤ 1 LSB");
});

t.test("atomic write leaves only the final file; errors", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-wav-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const p = join(dir, "a.wav");
  writeWav(p, { samples: [new Float32Array(10)], sampleRate: 8000 });
  t.same(readdirSync(dir), ["a.wav"]);
  t.equal(decodeWav(readFileSync(p)).channels, 1);
  t.throws(() => writeWav(join(dir, "no", "b.wav"), { samples: [new Float32Array(1)], sampleRate: 8000 }), /ENOENT/);
  t.same(readdirSync(dir), ["a.wav"], "a failed write leaves no temporary file");
  t.throws(() => encodeWav({ samples: [new Float32Array(3), new Float32Array(4)], sampleRate: 8000 }), /Float32Array of 3 samples/);
  t.throws(() => encodeWav({ samples: [], sampleRate: 8000 }), /1 to 16 channels/);
  t.throws(() => encodeWav({ samples: [new Float32Array(3)], sampleRate: 0 }), /bad sample rate/);
  t.throws(() => decodeWav(Buffer.from("RIFX....WAVE")), /not a RIFF\/WAVE/);
  const trunc = encodeWav({ samples: [new Float32Array(8)], sampleRate: 8000 }).subarray(0, 50);
  t.throws(() => decodeWav(Buffer.from(trunc)), /runs past the end/);
});
