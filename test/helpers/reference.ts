// Float64 reference math for op tests, written from the definitions (not from the kernels).
import { BF16, decode, encode, F8E4M3, rng } from "./numberFormats.js";

export const roundBf16 = (v: number): number => decode(BF16, encode(BF16, Math.fround(v)));
export const f8Value = (bits: number): number => decode(F8E4M3, bits);

/** Seeded normal(0, 1) samples as f32. */
export function randn(n: number, seed: number): Float32Array {
  const next = rng(seed);
  const u = () => next() + 0.5 / 4294967296; // never 0: log(u) stays finite
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** LayerNorm over the last `d` values of each row, no affine (float64). */
export function layerNorm(x: Float64Array, d: number, eps = 1e-6): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let m = 0;
    for (let i = 0; i < d; i++) m += x[r * d + i]!;
    m /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i]! - m) ** 2;
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i]! - m) * inv;
  }
  return y;
}

/**
 * Largest violation of |got - want| <= rel * scale + abs over all elements, as a ratio (<= 1 passes), where
 * scale is the per-element magnitude that bounds rounding error (e.g. Σ|a·b| for a dot product). Arrays of
 * different lengths give Infinity.
 */
export function worstError(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, rel: number, abs: number): { ratio: number; index: number } {
  if (got.length !== want.length) return { ratio: Infinity, index: -1 };
  let ratio = 0;
  let index = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    const r = Number.isNaN(err) ? Infinity : err / (rel * scale[i]! + abs);
    if (r > ratio) {
      ratio = r;
      index = i;
    }
  }
  return { ratio, index };
}
