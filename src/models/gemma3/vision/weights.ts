// Small weight helpers of the vision tower: f32 copies of the vectors (norm affines, biases) that the
// elementwise ops and the convolution take, checked like every other Gemma weight.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { Tensor } from "../../../runtime/tensor.js";
import { checkedWeight } from "../weights.js";

/** The tensor `key` of `w` with `shape`, as f32. */
export function f32Weight(w: WeightSource, key: string, shape: readonly number[]): Tensor {
  const t = checkedWeight(w, key, shape);
  if (t.dtype === "f32") return t;
  try {
    return t.cast("f32");
  } finally {
    t.dispose();
  }
}

/** A LayerNorm's affine parameters (`<name>.weight`, `<name>.bias`), f32 [size]. */
export interface LayerNormParams {
  weight: Tensor;
  bias: Tensor;
}

export function layerNormParams(w: WeightSource, name: string, size: number): LayerNormParams {
  return { weight: f32Weight(w, `${name}.weight`, [size]), bias: f32Weight(w, `${name}.bias`, [size]) };
}
