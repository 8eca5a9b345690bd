// Our ops as the bench sees them. GEMM, attention and conv3d are being added to the engine separately; the bench
// looks each export up at run time, so it runs (and reports "ours: not available") before they are merged.
import * as aiprod from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

export type LinearFn = (x: Tensor, weight: Tensor, opts?: { bias?: Tensor }) => Tensor;
export type AttentionFn = (q: Tensor, k: Tensor, v: Tensor, opts?: { scale?: number; bias?: Tensor }) => Tensor;
export type Conv3dFn = (
  x: Tensor,
  weight: Tensor,
  opts?: { bias?: Tensor; padding?: [number, number, number]; causal?: boolean; padMode?: "zeros" | "reflect" | "replicate" },
) => Tensor;

export interface OurOps {
  linear?: LinearFn;
  attention?: AttentionFn;
  conv3d?: Conv3dFn;
}

export function ourOps(): OurOps {
  const exports = aiprod as unknown as Record<string, unknown>;
  const fn = <F>(name: string): F | undefined => (typeof exports[name] === "function" ? (exports[name] as F) : undefined);
  const ops: OurOps = {};
  const linear = fn<LinearFn>("linear"), attention = fn<AttentionFn>("attention"), conv3d = fn<Conv3dFn>("conv3d");
  if (linear) ops.linear = linear;
  if (attention) ops.attention = attention;
  if (conv3d) ops.conv3d = conv3d;
  return ops;
}
