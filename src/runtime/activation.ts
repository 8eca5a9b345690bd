// Activations, lerp and last-dim softmax/mean/std (native/binding/ops_activation.cc). f32 or bf16 in, same
// dtype out, computed in f32.
import { loadBinding } from "../native/loadBinding.js";
import { nativeOf, Tensor } from "./tensor.js";

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (the LTX-2 feed-forward). */
export function geluTanh(x: Tensor): Tensor {
  return Tensor.fromNative(loadBinding().geluTanh(nativeOf(x, "gelu_tanh", "x")));
}

/** GELU, exact: 0.5·x·(1 + erf(x/√2)). */
export function geluErf(x: Tensor): Tensor {
  return Tensor.fromNative(loadBinding().geluErf(nativeOf(x, "gelu_erf", "x")));
}

/** x·sigmoid(x). */
export function silu(x: Tensor): Tensor {
  return Tensor.fromNative(loadBinding().silu(nativeOf(x, "silu", "x")));
}

/** 1 / (1 + e^(−x)). */
export function sigmoid(x: Tensor): Tensor {
  return Tensor.fromNative(loadBinding().sigmoid(nativeOf(x, "sigmoid", "x")));
}

/** tanh(x) (the vocoder's output activation). */
export function tanh(x: Tensor): Tensor {
  return Tensor.fromNative(loadBinding().tanh(nativeOf(x, "tanh", "x")));
}

/** x for x ≥ 0, slope·x otherwise. */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return Tensor.fromNative(loadBinding().leakyRelu(nativeOf(x, "leaky_relu", "x"), slope));
}

/** a + t·(b − a) for a scalar t; a and b have the same shape, the output a's dtype. */
export function lerp(a: Tensor, b: Tensor, t: number): Tensor {
  return Tensor.fromNative(loadBinding().lerp(nativeOf(a, "lerp", "a"), nativeOf(b, "lerp", "b"), t));
}

/** exp(x − max) / Σ exp(x − max) over the last dim. */
export function softmax(x: Tensor): Tensor {
  return Tensor.fromNative(loadBinding().softmax(nativeOf(x, "softmax", "x")));
}

/** Mean over the last dim (which the result drops). */
export function mean(x: Tensor): Tensor {
  return Tensor.fromNative(loadBinding().mean(nativeOf(x, "mean", "x")));
}

/** Standard deviation over the last dim (dropped): population (÷n) by default, ÷(n−1) with unbiased. */
export function std(x: Tensor, opts: { unbiased?: boolean } = {}): Tensor {
  return Tensor.fromNative(loadBinding().std(nativeOf(x, "std", "x"), opts.unbiased ?? false));
}
