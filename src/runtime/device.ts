// Devices: "cpu" (host memory, the native CPU kernels) and "cuda" (device memory, the CUDA library's kernels;
// with AIPROD_CUDA_EMULATE=1 the host emulation of CUDA). Every op runs where its tensors are: the op wrappers
// pick the CPU or the CUDA entry point of the binding with onDevice(), which requires all tensor arguments on
// one device. Nothing moves between devices implicitly: Tensor.to() is the only copy across.
import type { NativeCudaMemoryStats } from "../native/bindingTypes.js";
import { AiprodError } from "../native/errors.js";
import { loadBinding } from "../native/loadBinding.js";
import { cudaInfo } from "./info.js";
import type { Device, Tensor } from "./tensor.js";

export type { Device } from "./tensor.js";

export function isDevice(d: unknown): d is Device {
  return d === "cpu" || d === "cuda";
}

/**
 * Loads the CUDA library (once) and checks that it has a device; otherwise ERR_AIPROD_NO_DEVICE saying why
 * (library not built, failed to load, no driver, no device).
 */
export function requireCuda(op: string): void {
  const c = cudaInfo();
  if (c.state !== "ready") {
    throw new AiprodError("ERR_AIPROD_NO_DEVICE", `aiprod.${op}: there is no CUDA device: ${c.reason ?? c.state}` +
      (c.state === "not built" ? "" : ` (CUDA library ${c.libraryPath})`));
  }
}

/** Whether a CUDA device is ready (loads the library on first use); never throws for a missing device. */
export function cudaAvailable(): boolean {
  return cudaInfo().state === "ready";
}

function tensorDevice(t: unknown): Device | undefined {
  // Non-tensors are left to the op's own argument check (nativeOf), which names them.
  if (t === null || typeof t !== "object" || !("native" in t)) return undefined;
  const native = (t as Tensor).native as { device?: unknown } | undefined;
  return isDevice(native?.device) ? native.device : undefined;
}

/**
 * The one device of an op's tensor arguments (absent ones skipped; "cpu" when there are none). Tensors on
 * different devices are ERR_AIPROD_WRONG_DEVICE naming the op, both arguments and the fix.
 */
export function onDevice(op: string, args: Record<string, unknown>): Device {
  let first: [string, Device] | undefined;
  for (const [name, value] of Object.entries(args)) {
    const d = tensorDevice(value);
    if (!d) continue;
    if (!first) {
      first = [name, d];
    } else if (d !== first[1]) {
      throw new AiprodError("ERR_AIPROD_WRONG_DEVICE",
        `aiprod.${op}: argument '${name}' is on ${d} but '${first[0]}' is on ${first[1]}; an op's tensors must all be on one device: move '${name}' with .to("${first[1]}")`);
    }
  }
  return first?.[1] ?? "cpu";
}

/** The CPU or the CUDA entry point of a native op, by the device of its tensor arguments. */
export function pick<F>(op: string, args: Record<string, unknown>, cpu: F, cuda: F): F {
  return onDevice(op, args) === "cuda" ? cuda : cpu;
}

// Where new tensors are made (Tensor.empty/zeros/from) and where weights load (SafetensorsFile.tensor): the
// default device, "cpu" unless a caller chose otherwise. Per thread (each worker thread has its own module state),
// so a generation running in its worker on "cuda" leaves the main thread's default alone. Model code needs no
// device argument: under withDevice("cuda", ...) its inputs, constants and weights are made on the device, and
// every op then runs there.
let defaultDevice: Device = "cpu";

export function getDefaultDevice(): Device {
  return defaultDevice;
}

/** Sets the default device of this thread; "cuda" needs a device (ERR_AIPROD_NO_DEVICE otherwise). */
export function setDefaultDevice(device: Device): void {
  if (!isDevice(device)) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.setDefaultDevice: device must be "cpu" or "cuda", got '${String(device)}'`);
  }
  if (device === "cuda") requireCuda("setDefaultDevice");
  defaultDevice = device;
}

/** Runs `fn` with `device` as the default device, restoring the previous one afterwards (also on errors). */
export function withDevice<T>(device: Device, fn: () => T): T {
  const before = defaultDevice;
  setDefaultDevice(device);
  try {
    return fn();
  } finally {
    defaultDevice = before;
  }
}

// Inside withAsyncUploads, host-to-device copies made by toDefaultDevice go on the copy stream (Tensor.uploadAsync):
// the transformer loads block i+1's weights while block i's kernels run (double-buffered streamed weights).
let asyncUploads = false;

/** Runs `fn` with toDefaultDevice's uploads on the copy stream (when the default device is cuda). */
export function withAsyncUploads<T>(fn: () => T): T {
  const before = asyncUploads;
  asyncUploads = defaultDevice === "cuda";
  try {
    return fn();
  } finally {
    asyncUploads = before;
  }
}

/** `t` on the default device: `t` itself when it is there already, else a copy (and `t` is disposed). */
export function toDefaultDevice(t: Tensor): Tensor {
  if (t.device === defaultDevice) return t;
  try {
    return asyncUploads && t.device === "cpu" ? t.uploadAsync() : t.to(defaultDevice);
  } finally {
    t.dispose();
  }
}

/** The CUDA library's caching allocator: bytes in use by tensors, cached for reuse, and the peak in use. */
export function cudaMemoryStats(): NativeCudaMemoryStats {
  requireCuda("cudaMemoryStats");
  return loadBinding().cudaMemoryStats();
}

/** Starts a new peak measurement: the peak becomes the bytes in use now (per-stage peaks). */
export function cudaResetPeak(): void {
  requireCuda("cudaResetPeak");
  loadBinding().cudaResetPeak();
}

/** Gives the allocator's cached blocks back to the device. */
export function cudaTrim(): void {
  requireCuda("cudaTrim");
  loadBinding().cudaTrim();
}
