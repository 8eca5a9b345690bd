import type { NativeDType, StorageArray } from "../native/bindingTypes.js";

/** Element types. Narrow types are storage; ops compute in f32 and round once (to nearest even). */
export type DType = NativeDType;
export const DTYPES: readonly DType[] = ["f32", "bf16", "f16", "f8e4m3"];

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && (DTYPES as readonly string[]).includes(value);
}

export function dtypeSize(dtype: DType): number {
  return dtype === "f32" ? 4 : dtype === "f8e4m3" ? 1 : 2;
}

/** The TypedArray that carries a dtype's raw storage (bf16/f16 as their bit patterns). */
export function storageArrayName(dtype: DType): "Float32Array" | "Uint16Array" | "Uint8Array" {
  return dtype === "f32" ? "Float32Array" : dtype === "f8e4m3" ? "Uint8Array" : "Uint16Array";
}

export function isStorageArrayFor(dtype: DType, data: unknown): data is StorageArray {
  if (dtype === "f32") return data instanceof Float32Array;
  if (dtype === "f8e4m3") return data instanceof Uint8Array;
  return data instanceof Uint16Array;
}
