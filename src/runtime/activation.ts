// Activations, lerp and last-dim softmax/mean/std (native/binding/ops_activation.cc; on cuda tensors
// cuda_ops_pointwise.cc). f32 or bf16 in, same dtype out, computed in f32.
import { loadBinding } from "../native/loadBinding.js";
import { pick } from "./device.js";
import { nativeOf, Tensor } from "./tensor.js";

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (the LTX-2 feed-forward). */
export function geluTanh(x: Tensor): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("gelu_tanh", { x }, b.geluTanh, b.cudaGeluTanh)(nativeOf(x, "gelu_tanh", "x")));
}

/** GELU, exact: 0.5·x·(1 + erf(x/√2)). */
export function geluErf(x: Tensor): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("gelu_erf", { x }, b.geluErf, b.cudaGeluErf)(nativeOf(x, "gelu_erf", "x")));
}

/** x·sigmoid(x). */
export function silu(x: Tensor): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("silu", { x }, b.silu, b.cudaSilu)(nativeOf(x, "silu", "x")));
}

/** 1 / (1 + e^(−x)). */
export function sigmoid(x: Tensor): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("sigmoid", { x }, b.sigmoid, b.cudaSigmoid)(nativeOf(x, "sigmoid", "x")));
}

/** tanh(x) (the vocoder's output activation). */
export function tanh(x: Tensor): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("tanh", { x }, b.tanh, b.cudaTanh)(nativeOf(x, "tanh", "x")));
}

/** x for x ≥ 0, slope·x otherwise. */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("leaky_relu", { x }, b.leakyRelu, b.cudaLeakyRelu)(nativeOf(x, "leaky_relu", "x"), slope));
}

/** a + t·(b − a) for a scalar t; a and b have the same shape, the output a's dtype. */
export function lerp(a: Tensor, b: Tensor, t: number): Tensor {
  const n = loadBinding();
  return Tensor.fromNative(pick("lerp", { a, b }, n.lerp, n.cudaLerp)(nativeOf(a, "lerp", "a"), nativeOf(b, "lerp", "b"), t));
}

/** exp(x − max) / Σ exp(x − max) over the last dim. */
export function softmax(x: Tensor): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("softmax", { x }, b.softmax, b.cudaSoftmax)(nativeOf(x, "softmax", "x")));
}

/** Mean over the last dim (which the result drops). */
export function mean(x: Tensor): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("mean", { x }, b.mean, b.cudaMean)(nativeOf(x, "mean", "x")));
}

/** Standard deviation over the last dim (dropped): population (÷n) by default, ÷(n−1) with unbiased. */
export function std(x: Tensor, opts: { unbiased?: boolean } = {}): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("std", { x }, b.std, b.cudaStd)(nativeOf(x, "std", "x"), opts.unbiased ?? false));
}
