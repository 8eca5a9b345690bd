// Normalizations and modulation (native/binding/ops_norm.cc). x may be f32 or bf16 (parameters too, each on
// its own); compute is f32 and the output has x's shape and dtype.
import { loadBinding } from "../native/loadBinding.js";
import { onDevice, pick } from "./device.js";
import { nativeOf, Tensor } from "./tensor.js";

function optional(t: Tensor | undefined, op: string, arg: string) {
  return t === undefined ? null : nativeOf(t, op, arg);
}

/** x / sqrt(mean(x²) + eps) · weight over the last dim (plain `w`, not Gemma's `1 + w`). */
export function rmsNorm(x: Tensor, opts: { weight?: Tensor; eps?: number } = {}): Tensor {
  const op = "rms_norm";
  const b = loadBinding();
  return Tensor.fromNative(pick(op, { x, weight: opts.weight }, b.rmsNorm, b.cudaRmsNorm)(nativeOf(x, op, "x"), optional(opts.weight, op, "weight"), opts.eps ?? 1e-6));
}

/** (x − mean) / sqrt(var + eps) over the last dim (population variance), no affine. */
export function layerNorm(x: Tensor, opts: { eps?: number } = {}): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("layer_norm", { x }, b.layerNorm, b.cudaLayerNorm)(nativeOf(x, "layer_norm", "x"), opts.eps ?? 1e-6));
}

/** x / sqrt(mean(x² over dim) + eps): the VAE's PixelNorm over the channels of [B,C,...] (dim 1). */
export function pixelNorm(x: Tensor, opts: { eps?: number; dim?: number } = {}): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("pixel_norm", { x }, b.pixelNorm, b.cudaPixelNorm)(nativeOf(x, "pixel_norm", "x"), opts.eps ?? 1e-8, opts.dim ?? 1));
}

/** torch.nn.GroupNorm on x [B,C,...]: statistics per (batch, group of C/groups channels), then per-channel affine. */
export function groupNorm(x: Tensor, groups: number, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  const op = "group_norm";
  const b = loadBinding();
  return Tensor.fromNative(pick(op, { x, weight: opts.weight, bias: opts.bias }, b.groupNorm, b.cudaGroupNorm)(nativeOf(x, op, "x"), groups, optional(opts.weight, op, "weight"),
    optional(opts.bias, op, "bias"), opts.eps ?? 1e-5));
}

/**
 * x·(1 + scale) + shift for x [B,T,D]. scale and shift are per-token tables [B,T,D] (LTX-2 AdaLN rows) or
 * broadcast: [B,1,D], [1,T,D], [1,1,D], [T,D], [D].
 */
export function adaLN(x: Tensor, scale: Tensor, shift: Tensor): Tensor {
  const op = "ada_ln";
  const b = loadBinding();
  return Tensor.fromNative(pick(op, { x, scale, shift }, b.adaLN, b.cudaAdaLN)(nativeOf(x, op, "x"), nativeOf(scale, op, "scale"), nativeOf(shift, op, "shift")));
}

/** residual + x·g (the gated residual add); residual and x are [B,T,D], g broadcasts like adaLN's tables. */
export function addMul(residual: Tensor, x: Tensor, g: Tensor): Tensor {
  const op = "add_mul";
  const b = loadBinding();
  return Tensor.fromNative(pick(op, { residual, x, g }, b.addMul, b.cudaAddMul)(nativeOf(residual, op, "residual"), nativeOf(x, op, "x"), nativeOf(g, op, "g")));
}

/**
 * adaLN(norm(x), scale, shift) with norm = layerNorm (no affine) or, with `rms`, rmsNorm (optional weight): the
 * transformer's "normalize then modulate". On cuda one fused kernel makes one pass over memory (the normalized row
 * is never written out; one rounding at the end, so a bf16 result can differ from the two-op path by its
 * intermediate rounding, half a bf16 ulp); on the CPU it is the two ops.
 */
export function normAdaLN(x: Tensor, scale: Tensor, shift: Tensor, opts: { rms?: boolean; eps?: number; weight?: Tensor } = {}): Tensor {
  const op = opts.rms ? "rms_norm_ada_ln" : "layer_norm_ada_ln";
  const eps = opts.eps ?? 1e-6;
  if (onDevice(op, { x, scale, shift, weight: opts.weight }) === "cuda") {
    const w = opts.weight ? nativeOf(opts.weight, op, "weight") : undefined;
    return Tensor.fromNative(loadBinding().cudaNormAdaLN(nativeOf(x, op, "x"), nativeOf(scale, op, "scale"), nativeOf(shift, op, "shift"), !!opts.rms, eps, w));
  }
  using n = opts.rms ? rmsNorm(x, { eps, ...(opts.weight ? { weight: opts.weight } : {}) }) : layerNorm(x, { eps });
  return adaLN(n, scale, shift);
}
