// Token positions in physical units (patchifiers.get_pixel_coords, tools.VideoLatentTools / AudioLatentTools):
// video latent (f, h, w) covers pixel frames [8f−7, 8f+1) clamped at 0 (the first latent frame holds only pixel
// frame 0) divided by fps, rows [32h, 32h+32) and columns [32w, 32w+32); audio latent frame i covers
// [max(0, 4i−3), max(0, 4i+1)) mel frames of 10 ms.
import type { Positions } from "./rope.js";

export const VIDEO_SCALE = { time: 8, space: 32 } as const;
/** 16 kHz audio, hop 160, latent downsample 4: one mel frame is 10 ms. */
export const AUDIO_MEL_FRAME_SECONDS = 160 / 16000;
export const AUDIO_LATENT_DOWNSAMPLE = 4;

export interface VideoGrid {
  frames: number;
  height: number;
  width: number;
}

/** Positions of a latent grid in token order (f-major, then h, then w); `frameOffset` shifts in pixel frames. */
export function videoPositions(grid: VideoGrid, fps: number, opts: { batch?: number; frameOffset?: number; causalFix?: boolean } = {}): Positions {
  const batch = opts.batch ?? 1;
  const offset = opts.frameOffset ?? 0;
  const causalFix = opts.causalFix ?? true;
  const tokens = grid.frames * grid.height * grid.width;
  const data = new Float32Array(batch * 3 * tokens * 2);
  for (let b = 0; b < batch; b++) {
    let t = 0;
    for (let f = 0; f < grid.frames; f++) {
      let start = f * VIDEO_SCALE.time, end = (f + 1) * VIDEO_SCALE.time;
      if (causalFix) {
        start = Math.max(0, start - VIDEO_SCALE.time + 1);
        end = Math.max(0, end - VIDEO_SCALE.time + 1);
      }
      const t0 = Math.fround((start + offset) / fps), t1 = Math.fround((end + offset) / fps);
      for (let h = 0; h < grid.height; h++) {
        for (let w = 0; w < grid.width; w++, t++) {
          const base = b * 3 * tokens * 2;
          data.set([t0, t1], base + (0 * tokens + t) * 2);
          data.set([h * VIDEO_SCALE.space, (h + 1) * VIDEO_SCALE.space], base + (1 * tokens + t) * 2);
          data.set([w * VIDEO_SCALE.space, (w + 1) * VIDEO_SCALE.space], base + (2 * tokens + t) * 2);
        }
      }
    }
  }
  return { data, batch, dims: 3, tokens };
}

/** Positions (seconds) of `frames` audio latent frames. */
export function audioPositions(frames: number, opts: { batch?: number } = {}): Positions {
  const batch = opts.batch ?? 1;
  const data = new Float32Array(batch * frames * 2);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < frames; i++) {
      const start = Math.max(0, AUDIO_LATENT_DOWNSAMPLE * i - 3), end = Math.max(0, AUDIO_LATENT_DOWNSAMPLE * i + 1);
      data[(b * frames + i) * 2] = Math.fround(start * AUDIO_MEL_FRAME_SECONDS);
      data[(b * frames + i) * 2 + 1] = Math.fround(end * AUDIO_MEL_FRAME_SECONDS);
    }
  }
  return { data, batch, dims: 1, tokens: frames };
}
