// VideoConditionByKeyframeIndex (upstream conditioning/types/keyframe_cond.py): a keyframe latent appended as
// extra tokens (latent 0, clean = keyframe, mask 1 − strength) positioned at pixel frame `frameIndex`. A
// one-pixel-frame keyframe spans [frameIndex, frameIndex + 1) / fps; the causal first-frame fix applies only at
// frame 0. These tokens are removed after the loop (clearConditioning).
import type { Positions } from "../transformer/rope.js";
import { VIDEO_SCALE } from "../transformer/positions.js";
import { appendTokens, conditioningError, type LatentState } from "./latentState.js";
import type { LatentGrid } from "./latentIndex.js";

/** get_pixel_coords of a latent grid, then + frameIndex in time, narrowed to one frame if asked, / fps. */
export function keyframePositions(grid: LatentGrid, fps: number, frameIndex: number, pixelFrames: number): Positions {
  const tokens = grid.frames * grid.height * grid.width;
  const data = new Float32Array(3 * tokens * 2);
  const causal = frameIndex === 0;
  let t = 0;
  for (let f = 0; f < grid.frames; f++) {
    let start = f * VIDEO_SCALE.time, end = (f + 1) * VIDEO_SCALE.time;
    if (causal) {
      start = Math.max(0, start - VIDEO_SCALE.time + 1);
      end = Math.max(0, end - VIDEO_SCALE.time + 1);
    }
    start += frameIndex;
    end = pixelFrames === 1 ? start + 1 : end + frameIndex;
    const t0 = Math.fround(Math.fround(start) / Math.fround(fps)), t1 = Math.fround(Math.fround(end) / Math.fround(fps));
    for (let h = 0; h < grid.height; h++) {
      for (let w = 0; w < grid.width; w++, t++) {
        data.set([t0, t1], t * 2);
        data.set([h * VIDEO_SCALE.space, (h + 1) * VIDEO_SCALE.space], (tokens + t) * 2);
        data.set([w * VIDEO_SCALE.space, (w + 1) * VIDEO_SCALE.space], (2 * tokens + t) * 2);
      }
    }
  }
  return { data, batch: 1, dims: 3, tokens };
}

export class VideoConditionByKeyframeIndex {
  /** `tokens`: the keyframe latent [F·H·W, C] of grid `grid`; `pixelFrames`: pixel frames it encodes (1 for an image). */
  constructor(readonly tokens: Float32Array, readonly grid: LatentGrid, readonly frameIndex: number, readonly strength: number, readonly pixelFrames = 1) {}

  applyTo(state: LatentState, fps: number): LatentState {
    if (!Number.isInteger(this.frameIndex) || this.frameIndex < 0) throw conditioningError(`keyframe index ${this.frameIndex} must be a non-negative integer`);
    return appendTokens(state, this.tokens, keyframePositions(this.grid, fps, this.frameIndex, this.pixelFrames), this.strength);
  }
}
