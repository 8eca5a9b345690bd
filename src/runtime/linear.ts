// Dense products. Numerics (see native/include/aiprod/gemm.h): f32 weights compute in f32; bf16 and f8e4m3
// weights compute bf16 x bf16 products with f32 accumulation (activations rounded to bf16), like upstream's bf16
// GEMMs. Outputs are f32.
import { loadBinding } from "../native/loadBinding.js";
import { pick } from "./device.js";
import { nativeOf, Tensor } from "./tensor.js";

export interface LinearOptions {
  /** [N], added before the activation. */
  bias?: Tensor;
  activation?: "none" | "gelu_tanh";
  /** Output-shaped; multiplies the activated result (AdaLN gates). */
  gate?: Tensor;
  /** Output-shaped; added last (residual connections). */
  residual?: Tensor;
  /** Per-tensor scale of f8e4m3 weights (the checkpoint's weight_scale). */
  weightScale?: number;
}

/**
 * y = residual + gate ⊙ act(x · weightᵀ + bias), with x [..., K] (f32 or bf16) and weight [N, K] (f32, bf16 or
 * f8e4m3) in PyTorch's Linear layout. Returns f32 [..., N].
 */
export function linear(x: Tensor, weight: Tensor, opts: LinearOptions = {}): Tensor {
  const b = loadBinding();
  const fn = pick("linear", { x, weight, bias: opts.bias, gate: opts.gate, residual: opts.residual }, b.linear, b.cudaLinear);
  const native = fn(nativeOf(x, "linear", "x"), nativeOf(weight, "linear", "weight"), {
    ...(opts.bias ? { bias: nativeOf(opts.bias, "linear", "bias") } : {}),
    ...(opts.gate ? { gate: nativeOf(opts.gate, "linear", "gate") } : {}),
    ...(opts.residual ? { residual: nativeOf(opts.residual, "linear", "residual") } : {}),
    ...(opts.activation ? { activation: opts.activation } : {}),
    ...(opts.weightScale !== undefined ? { weightScale: opts.weightScale } : {}),
  });
  return Tensor.fromNative(native);
}

/** c = a · b (or a · bᵀ with transposeB), f32; a [..., M, K], b [..., K, N] with a's batch dimensions, or [K, N]. */
export function matmul(a: Tensor, b: Tensor, opts: { transposeB?: boolean } = {}): Tensor {
  const n = loadBinding();
  return Tensor.fromNative(pick("matmul", { a, b }, n.matmul, n.cudaMatmul)(nativeOf(a, "matmul", "a"), nativeOf(b, "matmul", "b"), opts));
}
