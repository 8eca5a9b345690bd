// Mel filterbank and magnitude STFT as torchaudio builds them for upstream's AudioProcessor
// (`torchaudio.transforms.MelSpectrogram(..., center=True, pad_mode="reflect", power=1.0, mel_scale="slaney",
// norm="slaney", window_fn=torch.hann_window)`): periodic Hann window of length n_fft, frames every hop samples
// over the signal reflect-padded by n_fft/2 on both sides, |X| per bin, then filterbank^T·|X|.
import { Fft } from "./fft.js";

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27;

/** Slaney mel scale (linear below 1 kHz, logarithmic above), as torchaudio `_hz_to_mel(..., "slaney")`. */
export function hzToMelSlaney(f: number): number {
  return f >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOGSTEP : f / F_SP;
}

export function melToHzSlaney(m: number): number {
  return m >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (m - MIN_LOG_MEL)) : F_SP * m;
}

/**
 * torchaudio.functional.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm="slaney",
 * mel_scale="slaney"): [n_freqs × n_mels] row-major, triangles between mel-spaced points, each scaled by
 * 2/(f_{m+2} − f_m) (equal area).
 */
export function melFilterbank(nFreqs: number, fMin: number, fMax: number, nMels: number, sampleRate: number): Float64Array {
  const allFreqs = Array.from({ length: nFreqs }, (_, i) => (i * (sampleRate / 2)) / (nFreqs - 1));
  const mMin = hzToMelSlaney(fMin), mMax = hzToMelSlaney(fMax);
  const fPts = Array.from({ length: nMels + 2 }, (_, i) => melToHzSlaney(mMin + ((mMax - mMin) * i) / (nMels + 1)));
  const fb = new Float64Array(nFreqs * nMels);
  for (let m = 0; m < nMels; m++) {
    const lo = fPts[m]!, mid = fPts[m + 1]!, hi = fPts[m + 2]!;
    const enorm = 2 / (hi - lo);
    for (let i = 0; i < nFreqs; i++) {
      const f = allFreqs[i]!;
      const down = (f - lo) / (mid - lo);
      const up = (hi - f) / (hi - mid);
      fb[i * nMels + m] = Math.max(0, Math.min(down, up)) * enorm;
    }
  }
  return fb;
}

/** Periodic Hann window (torch.hann_window(n), periodic=True): 0.5 − 0.5·cos(2πi/n). */
export function hannPeriodic(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
}

/** Index into a signal of length `len` reflect-padded (without repeating the edge), as F.pad(mode="reflect"). */
function reflect(i: number, len: number): number {
  if (len === 1) return 0;
  const period = 2 * (len - 1);
  let j = ((i % period) + period) % period;
  if (j >= len) j = period - j;
  return j;
}

/** Number of STFT frames with center=True: 1 + ⌊len/hop⌋. */
export function stftFrameCount(len: number, hop: number): number {
  return 1 + Math.floor(len / hop);
}

/**
 * Magnitude STFT of one channel: [frames × (nFft/2+1)] row-major float64, frame t centered on sample t·hop.
 * torch refuses reflect padding of n_fft/2 when it is not shorter than the signal; so do we.
 */
export function magnitudeStft(signal: ArrayLike<number>, nFft: number, hop: number, window: Float64Array, fft = new Fft(nFft)): Float64Array {
  const len = signal.length, half = nFft / 2, nFreqs = half + 1;
  if (len <= half) throw new RangeError(`magnitudeStft: reflect padding of ${half} needs more than ${half} samples, got ${len}`);
  const frames = stftFrameCount(len, hop);
  const out = new Float64Array(frames * nFreqs);
  const re = new Float64Array(nFft), im = new Float64Array(nFft);
  for (let t = 0; t < frames; t++) {
    const start = t * hop - half;
    for (let i = 0; i < nFft; i++) {
      re[i] = signal[reflect(start + i, len)]! * window[i]!;
      im[i] = 0;
    }
    fft.transform(re, im);
    for (let k = 0; k < nFreqs; k++) out[t * nFreqs + k] = Math.hypot(re[k]!, im[k]!);
  }
  return out;
}
