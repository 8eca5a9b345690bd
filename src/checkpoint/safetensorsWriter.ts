// Safetensors writer (tiny test checkpoints, LoRA files, converted weights). Writes to a temporary file beside
// the target and renames it into place, so a crash never leaves a half-written checkpoint under the real name.
import type { StorageArray } from "../native/bindingTypes.js";
import { AiprodError } from "../native/errors.js";
import { type DType, dtypeSize, isStorageArrayFor, storageArrayName } from "../runtime/dtype.js";
import { Tensor } from "../runtime/tensor.js";
import { writeAll, writeAtomically } from "../util/atomicWrite.js";

const FILE_DTYPE: Record<DType, string> = { f32: "F32", bf16: "BF16", f16: "F16", f8e4m3: "F8_E4M3" };

export interface TensorEntry {
  dtype: DType;
  shape: readonly number[];
  /** Raw storage of `dtype` (Float32Array, Uint16Array bits, Uint8Array bits) or a Tensor of that dtype. */
  data: StorageArray | Tensor;
}

function bytesOf(key: string, e: TensorEntry): Uint8Array {
  const numel = e.shape.reduce((a, b) => a * b, 1);
  const data = e.data instanceof Tensor ? e.data.read() : e.data;
  if (e.data instanceof Tensor && e.data.dtype !== e.dtype) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.writeSafetensors: '${key}' is declared ${e.dtype} but the tensor is ${e.data.dtype}`);
  }
  if (!isStorageArrayFor(e.dtype, data) || data.length !== numel) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT",
      `aiprod.writeSafetensors: '${key}' needs a ${storageArrayName(e.dtype)} of ${numel} elements for ${e.dtype}[${e.shape.join(",")}]`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, numel * dtypeSize(e.dtype));
}

/** Writes `tensors` (in insertion order) and string metadata to `path`, atomically. */
export function writeSafetensors(path: string, tensors: ReadonlyMap<string, TensorEntry> | Record<string, TensorEntry>,
  metadata: Record<string, string> = {}): void {
  const entries: [string, TensorEntry][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [key, e] of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1) * dtypeSize(e.dtype);
    header[key] = { dtype: FILE_DTYPE[e.dtype], shape: e.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  // Pad the JSON with spaces to a multiple of 8 bytes, as the reference writer does, so the data starts aligned.
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  writeAtomically(path, (fd) => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeAll(fd, len);
    writeAll(fd, json);
    for (const [key, e] of entries) writeAll(fd, bytesOf(key, e));
  });
}
