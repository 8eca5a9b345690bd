// Test plumbing for the VAE tests: an in-memory WeightSource, engine tensor ↔ reference conversion, seeded
// data, and the error measure used in every bound.
import type { TensorInfo, WeightSource } from "../../../../src/checkpoint/safetensors.js";
import { AiprodError } from "../../../../src/native/errors.js";
import { Tensor } from "../../../../src/runtime/tensor.js";
import { randn } from "../../../helpers/reference.js";
import * as R from "./reference.js";

/** Weights held as f32 arrays, served like a checkpoint (missing keys raise like the file reader). */
export function memorySource(weights: Record<string, R.T>): WeightSource {
  const src: WeightSource = {
    name: "memory",
    keys: () => Object.keys(weights),
    has: (k) => k in weights,
    info: (k): TensorInfo => {
      const w = weights[k];
      if (!w) throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `memory has no tensor '${k}'`);
      return { fileDType: "F32", dtype: "f32", shape: w.s, offset: 0, byteLength: w.d.length * 4 };
    },
    tensor: (k) => {
      const w = weights[k];
      if (!w) throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `memory has no tensor '${k}'`);
      return Tensor.from(Float32Array.from(w.d), w.s);
    },
    view: (prefix) => memorySource(Object.fromEntries(Object.entries(weights).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]))),
  };
  return src;
}

/** Seeded normals, rounded to f32 so the engine and the reference see the same numbers. */
export function rand(shape: number[], seed: number, scale = 1): R.T {
  return R.fromF32(randn(R.numel(shape), seed).map((v) => v * scale), shape);
}

export function toTensor(x: R.T): Tensor {
  return Tensor.from(Float32Array.from(x.d), x.s);
}

export function toRef(t: Tensor): R.T {
  return R.fromF32(t.toFloat32(), t.shape);
}

/** max |got − want| / (rel·|want|max + abs) over all elements, with the shapes checked. */
export function worst(got: Tensor | R.T, want: R.T): { maxAbs: number; maxRef: number } {
  const g = got instanceof Tensor ? toRef(got) : got;
  if (g.s.join(",") !== want.s.join(",")) throw new Error(`shape [${g.s}] vs reference [${want.s}]`);
  let maxAbs = 0, maxRef = 0;
  for (let i = 0; i < want.d.length; i++) {
    const e = Math.abs(g.d[i]! - want.d[i]!);
    maxAbs = Number.isNaN(e) ? Infinity : Math.max(maxAbs, e);
    maxRef = Math.max(maxRef, Math.abs(want.d[i]!));
  }
  return { maxAbs, maxRef };
}
