// Gemma 3 rotary tables. Local (sliding) layers use rope_local_base_freq; global layers use rope_theta with
// the linear scaling factor dividing the inverse frequencies (HF's "linear" rope_type). Values follow HF's f32
// arithmetic (f32 inverse frequencies, f32 angle = position · inv_freq) so long positions round as upstream.
import type { Gemma3Config, LayerType } from "./config.js";
import { Tensor } from "../../runtime/tensor.js";

export interface RopeTables {
  /** [T, headDim/2] f32: the first half of HF's cat(freqs, freqs) cos/sin, the layout ropeSplit takes. */
  cos: Tensor;
  sin: Tensor;
}

/** HF's inv_freq: 1 / base^(2i/d) in f32, divided by the linear factor. */
export function inverseFrequencies(headDim: number, base: number, factor = 1): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = Math.fround(Math.fround(1 / Math.fround(base ** Math.fround((2 * i) / headDim))) / factor);
  return inv;
}

export function ropeParams(config: Gemma3Config, type: LayerType): { base: number; factor: number } {
  return type === "sliding_attention" ? { base: config.ropeLocalBaseFreq, factor: 1 } : { base: config.ropeTheta, factor: config.ropeLinearFactor };
}

/** Tables for positions start .. start+length-1. */
export function ropeTables(headDim: number, base: number, factor: number, start: number, length: number): RopeTables {
  const inv = inverseFrequencies(headDim, base, factor);
  const half = headDim / 2;
  const cos = new Float32Array(length * half), sin = new Float32Array(length * half);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround((start + t) * inv[i]!);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
  return { cos: Tensor.from(cos, [length, half]), sin: Tensor.from(sin, [length, half]) };
}
