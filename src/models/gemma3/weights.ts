// Weight validation at load: every tensor is checked for presence, dtype and shape, and an error names the key,
// so a truncated or mismatched checkpoint fails before any compute.
import type { WeightSource } from "../../checkpoint/safetensors.js";
import { AiprodError } from "../../native/errors.js";
import { Tensor } from "../../runtime/tensor.js";
import { fullKey } from "./folder.js";

/** The tensor `key` of `w`, required to have `shape` and an f32 or bf16 dtype (the GEMMs' weight types). */
export function checkedWeight(w: WeightSource, key: string, shape: readonly number[]): Tensor {
  const name = fullKey(w, key);
  if (!w.has(key)) throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `aiprod.gemma3: ${w.name} has no tensor '${name}'`);
  const info = w.info(key);
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new AiprodError("ERR_AIPROD_BAD_WEIGHT", `aiprod.gemma3: '${name}' in ${w.name} has shape [${info.shape.join(",")}], expected [${shape.join(",")}]`);
  }
  if (info.dtype !== "bf16" && info.dtype !== "f32") {
    throw new AiprodError("ERR_AIPROD_UNSUPPORTED_DTYPE", `aiprod.gemma3: '${name}' in ${w.name} is ${info.fileDType}; Gemma weights must be BF16 or F32`);
  }
  return w.tensor(key);
}

/**
 * Gemma's RMSNorm scales by (1 + w), computed in f32 as HF does (`1 + weight.float()`); the engine's rmsNorm
 * multiplies by its weight, so the shifted weight is precomputed once here.
 */
export function gemmaNormWeight(w: WeightSource, key: string, size: number): Tensor {
  using raw = checkedWeight(w, key, [size]);
  const v = raw.toFloat32();
  for (let i = 0; i < v.length; i++) v[i] = 1 + v[i]!;
  return Tensor.from(v, [size], "f32");
}
