// Rotary position embeddings on x [B,H,T,d] (native/binding/ops_rope.cc).
import { loadBinding } from "../native/loadBinding.js";
import { pick } from "./device.js";
import { nativeOf, Tensor } from "./tensor.js";

/**
 * Half-split RoPE: element i pairs with i + d/2, y_i = x_i·cos − x_{i+d/2}·sin, y_{i+d/2} = x_{i+d/2}·cos + x_i·sin.
 * cos/sin (same shape):
 * - [B,T,H,d/2] or [T,H,d/2]: the LTX-2 SPLIT layout, each head its own frequency band (head h reads entries
 *   h·d/2 .. (h+1)·d/2 of the W/2-wide table of token t);
 * - [T,d/2]: one table for all heads. This is Gemma's (HF's) rotate_half RoPE: pass the first half of its
 *   [T,d] cos/sin = cat(freqs, freqs).
 */
export function ropeSplit(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const op = "rope_split";
  const b = loadBinding();
  return Tensor.fromNative(pick(op, { x, cos, sin }, b.ropeSplit, b.cudaRopeSplit)(nativeOf(x, op, "x"), nativeOf(cos, op, "cos"), nativeOf(sin, op, "sin")));
}

/** Interleaved RoPE (legacy LTX-Video): pairs (2i, 2i+1) rotated by cos/sin [T,d/2] entry i, shared by heads. */
export function ropeInterleaved(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const op = "rope_interleaved";
  const b = loadBinding();
  return Tensor.fromNative(pick(op, { x, cos, sin }, b.ropeInterleaved, b.cudaRopeInterleaved)(nativeOf(x, op, "x"), nativeOf(cos, op, "cos"), nativeOf(sin, op, "sin")));
}
