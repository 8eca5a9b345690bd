// Reading LTX-2 parameters: the checkpoint's mapped view (bf16 in the released files) is checked against the
// shape the config implies and cast to f32 once at load, because the convolution kernels compute in f32.
import { AiprodError } from "../../native/errors.js";
import type { WeightSource } from "../../checkpoint/safetensors.js";
import type { Tensor } from "../../runtime/tensor.js";

/** The weight `key` of `source` as a fresh f32 tensor of exactly `shape` (an error names the key otherwise). */
export function f32Param(source: WeightSource, key: string, shape: readonly number[]): Tensor {
  const info = source.info(key); // throws ERR_AIPROD_MISSING_WEIGHT naming the key
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new AiprodError("ERR_AIPROD_BAD_WEIGHT",
      `aiprod.ltx2: ${source.name}: '${key}' has shape [${info.shape.join(",")}], expected [${shape.join(",")}]`);
  }
  using view = source.tensor(key);
  return view.cast("f32");
}

