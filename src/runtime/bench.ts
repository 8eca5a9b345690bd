// The CPU's measured arithmetic peak, for benchmarks that report kernels as a fraction of what the machine can
// do. Measured, not computed from a spec sheet: clocks, turbo and FMA pipe counts vary per part and per VM.
import type { NativeFmaPeak } from "../native/bindingTypes.js";
import { AiprodError } from "../native/errors.js";
import { loadBinding } from "../native/loadBinding.js";

export type FmaPeakKind = "f32" | "bf16";

export interface FmaPeakOptions {
  /** "f32" (default): FMA throughput; "bf16": AVX512_BF16 dot products (vdpbf16ps). */
  kind?: FmaPeakKind;
  /** Seconds to time, after a ~0.2 s warm-up; in (0, 60], default 1. */
  seconds?: number;
}

export type FmaPeak = NativeFmaPeak;

/**
 * Runs 12 independent FMA (or vdpbf16ps) chains on one pinned thread per CPU this process may use, separate
 * from the engine's thread pool, and returns the total GFLOP/s. Blocks the calling thread for about
 * `seconds`. Throws ERR_AIPROD_NATIVE when the CPU lacks the instructions (bf16 without AVX512_BF16; check
 * `getInfo().cpu.features.avx512_bf16` first).
 */
export function measureFmaPeak(options: FmaPeakOptions = {}): FmaPeak {
  const kind = options.kind ?? "f32";
  if (kind !== "f32" && kind !== "bf16") {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.measureFmaPeak: kind must be 'f32' or 'bf16', got '${String(kind)}'`);
  }
  return loadBinding().fmaPeak({ kind, seconds: options.seconds ?? 1 });
}
