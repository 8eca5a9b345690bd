// Tensor: a native-owned n-d array in host memory ("cpu", 64-byte aligned) or CUDA device memory ("cuda"). One
// TypeScript class over the one native class NativeTensor. dispose() frees the memory at once; garbage
// collection frees it too, later. Ops run on their tensors' device; to() is the only copy between devices.
import type { NativeTensor, StorageArray } from "../native/bindingTypes.js";
import { AiprodError } from "../native/errors.js";
import { loadBinding } from "../native/loadBinding.js";
import { getDefaultDevice, pick, requireCuda, toDefaultDevice } from "./device.js";
import { type DType, isDType, isStorageArrayFor, storageArrayName } from "./dtype.js";

export type Device = "cpu" | "cuda";
export type Shape = readonly number[];

function checkDType(dtype: unknown, op: string): DType {
  if (!isDType(dtype)) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.${op}: unknown dtype '${String(dtype)}'; expected one of f32, bf16, f16, f8e4m3`);
  }
  return dtype;
}

function numel(shape: Shape): number {
  return shape.reduce((n, d) => n * d, 1);
}

export class Tensor implements Disposable {
  readonly #native: NativeTensor;

  private constructor(native: NativeTensor) {
    this.#native = native;
  }

  /** Wraps a handle returned by a native op (library-internal). */
  static fromNative(native: NativeTensor): Tensor {
    return new Tensor(native);
  }

  /** Uninitialized memory on `device` (default: the default device, device.ts): for outputs that will be fully written. */
  static empty(shape: Shape, dtype: DType = "f32", device: Device = getDefaultDevice()): Tensor {
    return Tensor.#fresh("Tensor.empty", shape, dtype, device, false);
  }

  /** Zeros on `device` (default: the default device, device.ts). */
  static zeros(shape: Shape, dtype: DType = "f32", device: Device = getDefaultDevice()): Tensor {
    return Tensor.#fresh("Tensor.zeros", shape, dtype, device, true);
  }

  static #fresh(op: string, shape: Shape, dtype: DType, device: Device, zero: boolean): Tensor {
    const binding = loadBinding();
    const dt = checkDType(dtype, op);
    if (device === "cpu") return new Tensor(new binding.NativeTensor(dt, shape, zero));
    if (device !== "cuda") {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.${op}: device must be "cpu" or "cuda", got '${String(device)}'`);
    }
    requireCuda(op);
    return new Tensor(binding.cudaEmpty(dt, shape, zero));
  }

  /**
   * A tensor on the default device (device.ts) holding `data`. Numbers (an array or a Float32Array) are rounded to `dtype` (nearest even);
   * a Uint16Array is taken as the raw bits of a bf16/f16 tensor and a Uint8Array as f8e4m3 bits.
   */
  static from(data: StorageArray | readonly number[], shape: Shape, dtype?: DType): Tensor {
    const target = checkDType(dtype ?? (data instanceof Uint16Array ? "bf16" : data instanceof Uint8Array ? "f8e4m3" : "f32"), "Tensor.from");
    const values = Array.isArray(data) ? Float32Array.from(data) : (data as StorageArray);
    if (values instanceof Float32Array && target !== "f32") {
      // Checked here, or the f32 staging tensor's error would name the wrong dtype and call.
      const count = shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? numel(shape) : null;
      if (count !== null && count !== values.length) {
        throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.Tensor.from: ${target}[${shape.join(",")}] holds ${count} elements, got ${values.length}`);
      }
      using f32 = Tensor.from(values, shape, "f32");
      return f32.cast(target);
    }
    if (!isStorageArrayFor(target, values)) {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT",
        `aiprod.Tensor.from: a ${(values as object).constructor.name} cannot hold ${target} data; pass numbers or a ${storageArrayName(target)}`);
    }
    // Written in host memory, then moved once: one copy to the device instead of a write through it.
    const { NativeTensor } = loadBinding();
    const t = new Tensor(new NativeTensor(target, shape, false));
    try {
      t.#native.write(values);
    } catch (e) {
      t.dispose();
      throw e;
    }
    return getDefaultDevice() === "cpu" ? t : toDefaultDevice(t);
  }

  get dtype(): DType {
    return this.#native.dtype;
  }

  /** A fresh copy of the shape. */
  get shape(): number[] {
    return this.#native.shape;
  }

  get device(): Device {
    return this.#native.device;
  }

  get numel(): number {
    return numel(this.#native.shape);
  }

  get nbytes(): number {
    return this.#native.nbytes;
  }

  get disposed(): boolean {
    return this.#native.disposed;
  }

  /** The native handle, for op wrappers in src/runtime (library-internal). */
  get native(): NativeTensor {
    return this.#native;
  }

  /** Copies in raw storage (same rules as `read`); lengths must match. A cuda tensor is written host to device. */
  write(data: StorageArray): void {
    this.#native.write(data);
  }

  /**
   * A copy of the raw storage: Float32Array for f32, Uint16Array bits for bf16/f16, Uint8Array for f8e4m3. For
   * a cuda tensor this is an explicit device-to-host copy (device memory is never exposed as an ArrayBuffer).
   */
  read(): StorageArray {
    return this.#native.read();
  }

  /**
   * This tensor on `device`: a copy in the other device's memory (bit-exact, every dtype), or a view of the same
   * memory when it is already there (disposing either leaves the other intact). "cuda" needs a CUDA device
   * (ERR_AIPROD_NO_DEVICE says why there is none).
   */
  to(device: Device): Tensor {
    if (device !== "cpu" && device !== "cuda") {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.Tensor.to: device must be "cpu" or "cuda", got '${String(device)}'`);
    }
    if (device === this.device) return new Tensor(loadBinding().reshape(this.#native, this.#native.shape));
    if (device === "cuda") {
      requireCuda("Tensor.to");
      return new Tensor(this.#native.toDevice());
    }
    return new Tensor(this.#native.toHost());
  }

  /**
   * A copy of this cpu tensor on cuda made on the copy stream, so it overlaps the kernels already queued on the
   * default stream; the default stream then waits (on the GPU, not the host) for it, so every later op sees the
   * data. Library-internal: streamed weights (device.ts withAsyncUploads).
   */
  uploadAsync(): Tensor {
    if (this.device !== "cpu") throw new AiprodError("ERR_AIPROD_WRONG_DEVICE", `aiprod.Tensor.uploadAsync: ${this.toString()} is not on cpu`);
    requireCuda("Tensor.uploadAsync");
    const b = loadBinding();
    const d = new Tensor(this.#native.toDevice(true));
    b.cudaCopyFence();
    return d;
  }

  /** A copy of the values as f32 (exact for every dtype). */
  toFloat32(): Float32Array {
    if (this.dtype === "f32") return this.#native.read() as Float32Array;
    using f32 = this.cast("f32");
    return f32.read() as Float32Array;
  }

  cast(dtype: DType): Tensor {
    const b = loadBinding();
    return new Tensor(pick("cast", { a: this }, b.cast, b.cudaCast)(this.#native, checkDType(dtype, "cast")));
  }

  add(other: Tensor): Tensor {
    const b = loadBinding();
    const native = nativeOf(other, "add", "b");
    return new Tensor(pick("add", { a: this, b: other }, b.add, b.cudaAdd)(this.#native, native));
  }

  mul(other: Tensor): Tensor {
    const b = loadBinding();
    const native = nativeOf(other, "mul", "b");
    return new Tensor(pick("mul", { a: this, b: other }, b.mul, b.cudaMul)(this.#native, native));
  }

  /** Frees the memory now. Later use throws ERR_AIPROD_DISPOSED; disposing twice is harmless. */
  dispose(): void {
    this.#native.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Tensor(${this.dtype}[${this.shape.join(",")}]${this.device === "cuda" ? ", cuda" : ""}${this.disposed ? ", disposed" : ""})`;
  }
}

/** The native handle of a Tensor argument, or an error naming the op and the argument. */
export function nativeOf(t: unknown, op: string, arg: string): NativeTensor {
  if (!(t instanceof Tensor)) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.${op}: argument '${arg}' must be a Tensor, got ${t === null ? "null" : typeof t}`);
  }
  return t.native;
}
