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
