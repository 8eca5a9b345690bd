// Float64 reference math for op tests, written from the definitions (not from the kernels).
import { BF16, decode, encode, F8E4M3 } from "./numberFormats.js";

export const roundBf16 = (v: number): number => decode(BF16, encode(BF16, Math.fround(v)));
export const f8Value = (bits: number): number => decode(F8E4M3, bits);

/** Seeded normal(0, 1) samples as f32. */
export function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/**
 * Largest violation of |got - want| <= rel * scale + abs over all elements, as a ratio (<= 1 passes), where
 * scale is the per-element magnitude that bounds rounding error (e.g. Σ|a·b| for a dot product).
 */
export function worstError(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, rel: number, abs: number): { ratio: number; index: number } {
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
