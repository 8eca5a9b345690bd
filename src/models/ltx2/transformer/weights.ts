// Loading parameters by their checkpoint names, with the shape checked against the config: a missing key or a
// wrong shape is an error naming the full key, before any compute. f8 checkpoints keep their e4m3 weights
// and per-tensor `weight_scale`; the GEMM dequantizes per matmul.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { linear, type LinearOptions } from "../../../runtime/linear.js";
import type { Tensor } from "../../../runtime/tensor.js";

export interface LinearWeights {
  weight: Tensor;
  bias?: Tensor;
  /** Per-tensor scale of an f8e4m3 weight. */
  weightScale?: number;
}

/** A parameter of exactly `shape`. */
export function param(src: WeightSource, key: string, shape: readonly number[]): Tensor {
  if (!src.has(key)) throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `aiprod.ltx2: ${src.name} has no tensor '${key}'`);
  const info = src.info(key);
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new AiprodError("ERR_AIPROD_BAD_WEIGHT", `aiprod.ltx2: '${key}' in ${src.name} has shape [${info.shape.join(",")}]; the config needs [${shape.join(",")}]`);
  }
  return src.tensor(key);
}

/** `<prefix>.weight` [out, in] (+ `.bias` [out], + `.weight_scale` for f8). */
export function loadLinear(src: WeightSource, prefix: string, inFeatures: number, outFeatures: number, bias = true): LinearWeights {
  const weight = param(src, `${prefix}.weight`, [outFeatures, inFeatures]);
  const out: LinearWeights = { weight };
  if (bias) {
    // The GEMM epilogue adds an f32 bias; biases are tiny, so widen them once at load.
    const b = param(src, `${prefix}.bias`, [outFeatures]);
    if (b.dtype === "f32") out.bias = b;
    else {
      out.bias = b.cast("f32");
      b.dispose();
    }
  }
  if (weight.dtype === "f8e4m3") {
    const scaleKey = `${prefix}.weight_scale`;
    if (!src.has(scaleKey)) throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `aiprod.ltx2: '${prefix}.weight' is f8e4m3 but ${src.name} has no '${scaleKey}'`);
    using s = src.tensor(scaleKey);
    if (s.numel !== 1) throw new AiprodError("ERR_AIPROD_BAD_WEIGHT", `aiprod.ltx2: '${scaleKey}' must hold one value, has ${s.numel}`);
    out.weightScale = s.toFloat32()[0]!;
  }
  return out;
}

/** y = residual + gate ⊙ act(x·Wᵀ + b). */
export function applyLinear(x: Tensor, w: LinearWeights, opts: Omit<LinearOptions, "bias" | "weightScale"> = {}): Tensor {
  return linear(x, w.weight, {
    ...opts,
    ...(w.bias ? { bias: w.bias } : {}),
    ...(w.weightScale !== undefined ? { weightScale: w.weightScale } : {}),
  });
}

export function disposeLinear(w: LinearWeights): void {
  w.weight.dispose();
  w.bias?.dispose();
}
