// Upstream `model/audio_vae/ops.py`: the mel front end of the audio encoder (AudioProcessor) and the latent
// per-channel statistics.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { addBroadcast, divBroadcast, mulBroadcast, reshape, subBroadcast } from "../../../runtime/shape.js";
import { Tensor } from "../../../runtime/tensor.js";
import { Fft } from "./fft.js";
import { hannPeriodic, magnitudeStft, melFilterbank, stftFrameCount } from "./mel.js";
import { loadF32 } from "./weights.js";

/** log(clamp(mel, LOG_MEL_FLOOR)) */
export const LOG_MEL_FLOOR = 1e-5;

/** A waveform and its rate; `samples[c]` is channel c. */
export interface Waveform {
  samples: Float32Array[];
  sampleRate: number;
}

/**
 * Waveform → log-mel spectrogram [B, C, T, nMels] (T = 1 + ⌊N/hop⌋), the encoder's input. The STFT and the
 * filterbank product run in float64 and the result is rounded to f32 once (torch computes in f32, so the two
 * agree to f32 rounding). Resampling is not implemented: input must already be at `sampleRate`.
 */
export class AudioProcessor {
  readonly fb: Float64Array;
  readonly window: Float64Array;
  readonly #fft: Fft;

  constructor(readonly sampleRate = 16000, readonly nMels = 64, readonly hopLength = 160, readonly nFft = 1024) {
    // f_min 0, f_max sample_rate/2, n_freqs n_fft/2+1, as upstream passes to MelSpectrogram.
    this.fb = melFilterbank(nFft / 2 + 1, 0, sampleRate / 2, nMels, sampleRate);
    this.window = hannPeriodic(nFft);
    this.#fft = new Fft(nFft);
  }

  /** One channel: [T × nMels] row-major float64, log-clamped. */
  channelLogMel(signal: ArrayLike<number>): Float64Array {
    const nFreqs = this.nFft / 2 + 1;
    const mag = magnitudeStft(signal, this.nFft, this.hopLength, this.window, this.#fft);
    const frames = mag.length / nFreqs;
    const out = new Float64Array(frames * this.nMels);
    for (let t = 0; t < frames; t++) {
      for (let m = 0; m < this.nMels; m++) {
        let s = 0;
        for (let k = 0; k < nFreqs; k++) s += this.fb[k * this.nMels + m]! * mag[t * nFreqs + k]!;
        out[t * this.nMels + m] = Math.log(Math.max(s, LOG_MEL_FLOOR));
      }
    }
    return out;
  }

  /** A batch of waveforms (each [C][N], same C and N) → f32 tensor [B, C, T, nMels]. */
  waveformToMel(batch: readonly Waveform[]): Tensor {
    if (batch.length === 0) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", "aiprod.ltx2.audio.waveformToMel: empty batch");
    const c = batch[0]!.samples.length, n = batch[0]!.samples[0]?.length ?? 0;
    for (const [i, w] of batch.entries()) {
      if (w.sampleRate !== this.sampleRate) {
        throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT",
          `aiprod.ltx2.audio.waveformToMel: waveform ${i} is at ${w.sampleRate} Hz; resampling is not implemented, pass ${this.sampleRate} Hz audio`);
      }
      if (w.samples.length !== c || w.samples.some((s) => s.length !== n)) {
        throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.audio.waveformToMel: waveform ${i} must have ${c} channels of ${n} samples like waveform 0`);
      }
    }
    if (n <= this.nFft / 2) {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.audio.waveformToMel: ${n} samples is too short; reflect padding needs more than ${this.nFft / 2}`);
    }
    const frames = stftFrameCount(n, this.hopLength);
    const out = new Float32Array(batch.length * c * frames * this.nMels);
    let o = 0;
    for (const w of batch) {
      for (const ch of w.samples) {
        out.set(this.channelLogMel(ch), o);
        o += frames * this.nMels;
      }
    }
    return Tensor.from(out, [batch.length, c, frames, this.nMels], "f32");
  }
}

/**
 * Latent statistics ("std-of-means", "mean-of-means", length z·F): applied to the patchified latent
 * `b c t f -> b t (c f)`, which is the same as broadcasting them reshaped to [1, c, 1, f] over [B, c, T, f]
 * (no transposes needed).
 */
export class PerChannelStatistics implements Disposable {
  readonly std: Tensor;
  readonly mean: Tensor;

  constructor(src: WeightSource, length: number, readonly channels: number, readonly melBins: number) {
    const std = loadF32(src, "std-of-means", [length]);
    const mean = loadF32(src, "mean-of-means", [length]);
    this.std = reshape(std, [1, channels, 1, melBins]);
    this.mean = reshape(mean, [1, channels, 1, melBins]);
    std.dispose();
    mean.dispose();
  }

  /** x·std + mean */
  unNormalize(x: Tensor): Tensor {
    using scaled = mulBroadcast(x, this.std);
    return addBroadcast(scaled, this.mean);
  }

  /** (x − mean)/std */
  normalize(x: Tensor): Tensor {
    using centered = subBroadcast(x, this.mean);
    return divBroadcast(centered, this.std);
  }

  [Symbol.dispose](): void {
    this.std.dispose();
    this.mean.dispose();
  }
}
