// LTX-2 "split" RoPE tables (rope.py, precompute_freqs_cis): fractional, centered positions; frequencies built
// for the full inner width and split across heads (head h gets its own band); identity padding in front.
// Positions are [start, end) bounds per axis and token; with use_middle_indices_grid the midpoint is used.
import { Tensor } from "../../../runtime/tensor.js";

/** The dtypes the RoPE tables are stored in: upstream casts them to the activations' dtype (`out_dtype=x.dtype`). */
export type RopeDType = "f32" | "bf16";

/** The activation dtype of a model whose weights have dtype `weights`: f32 runs stay f32, bf16/fp8 checkpoints run bf16. */
export function activationDtype(weights: string): RopeDType {
  return weights === "f32" ? "f32" : "bf16";
}

export interface Positions {
  /** [B, nDims, T, 2] row-major: bounds of token t on axis a. */
  data: Float32Array;
  batch: number;
  dims: number;
  tokens: number;
}

/** ω_k = (π/2)·θ^{k/(F−1)}, computed in float64 and stored as f32 (frequencies_precision: float64). */
export function frequencyGrid(theta: number, dims: number, innerDim: number): Float32Array {
  const count = Math.floor(innerDim / (2 * dims));
  const out = new Float32Array(count);
  for (let k = 0; k < count; k++) out[k] = (theta ** (count === 1 ? 0 : k / (count - 1))) * Math.PI / 2;
  return out;
}

/**
 * cos and sin tables [B, T, heads, innerDim/(2·heads)] in `dtype`, the activations' dtype: upstream's
 * precompute_freqs_cis(out_dtype=x.dtype) gives bf16 tables in its bf16 pipelines and f32 tables in f32 runs.
 * Angle of frequency k on axis a: ω_k·(2·p_a/maxPos_a − 1), flattened k-major, axis-minor, then
 * innerDim/2 − dims·F identity entries (cos 1, sin 0) prepended.
 */
export function ropeTables(pos: Positions, maxPos: readonly number[], theta: number, innerDim: number, heads: number, dtype: RopeDType): { cos: Tensor; sin: Tensor } {
  if (dtype !== "f32" && dtype !== "bf16") throw new Error(`aiprod.ltx2.rope: dtype must be "f32" or "bf16", got ${String(dtype)}`);
  const { batch, dims, tokens, data } = pos;
  if (maxPos.length !== dims) throw new Error(`aiprod.ltx2.rope: ${dims} position axes but ${maxPos.length} max_pos entries`);
  const freqs = frequencyGrid(theta, dims, innerDim);
  const half = innerDim / 2;
  const pad = half - dims * freqs.length;
  const cos = new Float32Array(batch * tokens * half);
  const sin = new Float32Array(batch * tokens * half);
  const frac = new Float32Array(dims);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < tokens; t++) {
      for (let a = 0; a < dims; a++) {
        const at = ((b * dims + a) * tokens + t) * 2;
        const mid = Math.fround(Math.fround(data[at]! + data[at + 1]!) / 2);
        frac[a] = Math.fround(Math.fround(mid / maxPos[a]!) * 2 - 1);
      }
      const row = (b * tokens + t) * half;
      cos.fill(1, row, row + pad);
      for (let k = 0; k < freqs.length; k++) {
        for (let a = 0; a < dims; a++) {
          const angle = Math.fround(freqs[k]! * frac[a]!);
          cos[row + pad + k * dims + a] = Math.cos(angle);
          sin[row + pad + k * dims + a] = Math.sin(angle);
        }
      }
    }
  }
  const shape = [batch, tokens, heads, half / heads];
  return { cos: Tensor.from(cos, shape, dtype), sin: Tensor.from(sin, shape, dtype) };
}

/** Only the time axis (axis 0) of `pos`: the A<->V cross-attention positions. */
export function timeOnly(pos: Positions): Positions {
  const data = new Float32Array(pos.batch * pos.tokens * 2);
  for (let b = 0; b < pos.batch; b++) data.set(pos.data.subarray(b * pos.dims * pos.tokens * 2, (b * pos.dims * pos.tokens + pos.tokens) * 2), b * pos.tokens * 2);
  return { data, batch: pos.batch, dims: 1, tokens: pos.tokens };
}
