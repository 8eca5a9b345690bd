// Audio length follows the video: duration = frames / fps. Upstream sizes the audio latent as
// round(duration · 25) (`AudioLatentShape.from_video_pixel_shape`, Python's round: halves to even) and cuts the
// decoded waveform to round(duration · sample_rate) samples when it is longer (`dfr_pipeline.py`). The decoder
// yields 4·T−3 mel frames, i.e. up to ~3 mel frames (30 ms) less than the video, so we also zero-pad to the
// exact length by default (upstream muxes the shorter track as is); `pad: false` gives upstream's behaviour.
import { AiprodError } from "../../../native/errors.js";
import type { Waveform } from "./ops.js";

/** Python 3 round(): to nearest, ties to even. */
export function pyRound(x: number): number {
  const f = Math.floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function checkVideo(frames: number, fps: number, fn: string): void {
  if (!Number.isSafeInteger(frames) || frames < 1) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.audio.${fn}: frames must be a positive integer, got ${frames}`);
  if (!(Number.isFinite(fps) && fps > 0)) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.audio.${fn}: fps must be a positive number, got ${fps}`);
}

/** Audio latent frames for a video: round(frames/fps · sampleRate/hop/4) (25 per second). */
export function audioLatentFrames(frames: number, fps: number, sampleRate = 16000, hopLength = 160, downsample = 4): number {
  checkVideo(frames, fps, "audioLatentFrames");
  return pyRound((frames / fps) * (sampleRate / hopLength / downsample));
}

/** Waveform samples covering the video: round(frames/fps · sampleRate). */
export function videoAudioSamples(frames: number, fps: number, sampleRate: number): number {
  checkVideo(frames, fps, "videoAudioSamples");
  return pyRound((frames / fps) * sampleRate);
}

/** Cuts (and, unless pad is false, zero-pads) every channel to the video's duration. */
export function fitWaveformToVideo(w: Waveform, frames: number, fps: number, opts: { pad?: boolean } = {}): Waveform {
  const target = videoAudioSamples(frames, fps, w.sampleRate);
  const samples = w.samples.map((ch) => {
    if (ch.length >= target) return ch.slice(0, target);
    if (opts.pad === false) return ch.slice();
    const out = new Float32Array(target);
    out.set(ch);
    return out;
  });
  return { samples, sampleRate: w.sampleRate };
}
