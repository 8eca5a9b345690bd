// VideoConditionByLatentIndex (upstream conditioning/types/latent_cond.py): replacement conditioning. The tokens
// of latent frame `latentIndex` are written into the clean latent and get denoise mask 1 − strength, so with
// strength 1 the model sees them at timestep 0 and the loop keeps them exactly.
import { conditioningError, type LatentState } from "./latentState.js";

export interface LatentGrid {
  frames: number;
  height: number;
  width: number;
}

export class VideoConditionByLatentIndex {
  /** `tokens`: the conditioning latent in token layout [F_c·H·W, C] (one frame for an image). */
  constructor(readonly tokens: Float32Array, readonly frames: number, readonly strength: number, readonly latentIndex: number) {}

  applyTo(state: LatentState, grid: LatentGrid): LatentState {
    const plane = grid.height * grid.width;
    const count = this.frames * plane;
    if (this.tokens.length !== count * state.channels) {
      throw conditioningError(`the conditioning latent has ${this.tokens.length / state.channels} tokens; a ${this.frames}-frame latent of the ${grid.height}×${grid.width} target grid has ${count}. Make sure the image and latent have the same spatial shape`);
    }
    if (this.latentIndex < 0 || this.latentIndex + this.frames > grid.frames) {
      throw conditioningError(`latent frames ${this.latentIndex}..${this.latentIndex + this.frames - 1} are outside the ${grid.frames}-frame latent`);
    }
    const start = this.latentIndex * plane;
    const clean = Float32Array.from(state.clean);
    clean.set(this.tokens, start * state.channels);
    const mask = Float32Array.from(state.mask);
    mask.fill(Math.fround(1 - this.strength), start, start + count);
    return { ...state, clean, mask };
  }
}
