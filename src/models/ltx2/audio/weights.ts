// Loads checkpoint tensors for the audio models: checks presence and shape (errors name the full key) and
// converts to f32 once, because the convolution kernels compute in f32 only and upstream runs the vocoder in
// fp32 anyway.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import type { Tensor } from "../../../runtime/tensor.js";

export function loadF32(src: WeightSource, key: string, shape: readonly number[]): Tensor {
  if (!src.has(key)) throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `aiprod.ltx2.audio: ${src.name} has no tensor '${key}'`);
  const info = src.info(key);
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new AiprodError("ERR_AIPROD_BAD_WEIGHT",
      `aiprod.ltx2.audio: tensor '${key}' in ${src.name} has shape [${info.shape.join(",")}], expected [${shape.join(",")}]`);
  }
  using raw = src.tensor(key);
  return raw.cast("f32");
}

/** A conv's weight and bias, loaded together. */
export interface ConvWeights {
  weight: Tensor;
  bias?: Tensor;
}

export function loadConv(src: WeightSource, prefix: string, weightShape: readonly number[], biasLength: number | null): ConvWeights {
  const weight = loadF32(src, `${prefix}.weight`, weightShape);
  if (biasLength === null) return { weight };
  return { weight, bias: loadF32(src, `${prefix}.bias`, [biasLength]) };
}

export function disposeConv(c: ConvWeights | undefined): void {
  c?.weight.dispose();
  c?.bias?.dispose();
}
