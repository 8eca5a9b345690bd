// Shared pieces of the pointwise op tests: seeded inputs, tensors with their exact stored values, and a
// closeness check with a per-element bound that reports the worst element.
import type { Test } from "tap";
import { Tensor } from "../../src/index.js";
import { rng } from "./numberFormats.js";

export const LAST_DIMS = [1, 3, 17, 63, 65, 127, 129, 1000] as const;
export const FLOAT_DTYPES = ["f32", "bf16"] as const;
export type FloatDType = (typeof FLOAT_DTYPES)[number];

/** Deterministic uniform numbers in [lo, hi) (mulberry32). */
export function seeded(n: number, seed: number, lo = -3, hi = 3): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A tensor of `dtype` holding seeded values, and the exact values it stores (after rounding to dtype). */
export function input(shape: readonly number[], dtype: FloatDType, seed: number, lo = -3, hi = 3): { t: Tensor; v: Float64Array } {
  const t = Tensor.from(seeded(numel(shape), seed, lo, hi), shape, dtype);
  return { t, v: Float64Array.from(t.toFloat32()) };
}

/**
 * Checks |got[i] − want[i]| ≤ bound(i) for all i, as one assertion that names the worst element. For bf16
 * outputs the caller adds the output rounding (half an ulp, at most 2^-8·|want|) to the f32 bound.
 */
export function close(t: Test, got: ArrayLike<number>, want: ArrayLike<number>, bound: (i: number) => number, label: string): void {
  if (got.length !== want.length) {
    t.fail(`${label}: length ${got.length}, expected ${want.length}`);
    return;
  }
  let worst = -1;
  let worstRatio = 1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    const ratio = err / bound(i);
    if (!(ratio <= worstRatio)) {
      worst = i;
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
    }
  }
  if (worst < 0) t.pass(label);
  else t.fail(`${label}: element ${worst} is ${got[worst]}, expected ${want[worst]} ± ${bound(worst)} (${worstRatio.toExponential(2)}× the bound)`);
}

/** Relative+absolute bound for an f32 result, widened by the bf16 output rounding when dtype is bf16. */
export function bound(dtype: FloatDType, want: ArrayLike<number>, rtol: number, atol: number): (i: number) => number {
  const out = dtype === "bf16" ? 2 ** -8 : 0;
  return (i) => atol + (rtol + out) * Math.abs(want[i]!);
}

/** Asserts fn throws an AiprodError whose message contains every fragment. */
export function throwsWith(t: Test, fn: () => unknown, fragments: readonly string[], label: string): void {
  try {
    fn();
    t.fail(`${label}: did not throw`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const missing = fragments.filter((f) => !msg.includes(f));
    if (missing.length === 0) t.pass(`${label}: ${msg}`);
    else t.fail(`${label}: message "${msg}" lacks ${JSON.stringify(missing)}`);
  }
}
