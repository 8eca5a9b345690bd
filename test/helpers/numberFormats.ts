// Independent float64 models of the storage formats, written from their definitions (sign, exponent bias,
// mantissa width, round half to even) rather than from the bit tricks the kernels use.
export interface Format {
  mantissaBits: number;
  bias: number;
  /** Largest finite value. */
  max: number;
  /** Encoding for NaN (and, for formats without infinity, for overflow). */
  nan: (negative: boolean) => number;
  /** Encoding for +infinity, or undefined when the format has none (then overflow is NaN). */
  inf?: number;
  signBit: number;
}

export const F16: Format = { mantissaBits: 10, bias: 15, max: 65504, nan: () => 0x7e00, inf: 0x7c00, signBit: 0x8000 };
export const BF16: Format = {
  mantissaBits: 7, bias: 127, max: (2 - 2 ** -7) * 2 ** 127, nan: () => 0x7fc0, inf: 0x7f80, signBit: 0x8000,
};
export const F8E4M3: Format = { mantissaBits: 3, bias: 7, max: 448, nan: (neg) => (neg ? 0xff : 0x7f), signBit: 0x80 };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Sign bit of an f32 value, NaNs included. */
export function f32SignBit(x: number): boolean {
  f32[0] = x;
  return (u32[0]! & 0x80000000) !== 0;
}

function roundHalfEven(m: number): number {
  const f = Math.floor(m);
  const d = m - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  return e;
}

/** Encodes a number (an f32 value) into the format's bits, rounding half to even. */
export function encode(fmt: Format, x: number): number {
  const negative = f32SignBit(x);
  if (Number.isNaN(x)) return fmt.nan(negative);
  const sign = negative ? fmt.signBit : 0;
  const a = Math.abs(x);
  const eMin = 1 - fmt.bias;
  const quantum = a < 2 ** eMin ? 2 ** (eMin - fmt.mantissaBits) : 2 ** (exponentOf(a) - fmt.mantissaBits);
  const v = a === Infinity ? Infinity : roundHalfEven(a / quantum) * quantum;
  if (v > fmt.max) return fmt.inf !== undefined ? sign | fmt.inf : fmt.nan(negative);
  if (v < 2 ** eMin) return sign | (v / 2 ** (eMin - fmt.mantissaBits));
  const e = exponentOf(v);
  const mantissa = (v / 2 ** e - 1) * 2 ** fmt.mantissaBits;
  return sign | ((e + fmt.bias) << fmt.mantissaBits) | mantissa;
}

/** Decodes bits of the format to a number. */
export function decode(fmt: Format, bits: number): number {
  const negative = (bits & fmt.signBit) !== 0;
  const expBits = Math.log2(fmt.signBit) - fmt.mantissaBits;
  const e = (bits >> fmt.mantissaBits) & ((1 << expBits) - 1);
  const m = bits & ((1 << fmt.mantissaBits) - 1);
  let mag: number;
  if (fmt.inf === undefined && e === (1 << expBits) - 1 && m === (1 << fmt.mantissaBits) - 1) mag = NaN;
  else if (fmt.inf !== undefined && e === (1 << expBits) - 1) mag = m === 0 ? Infinity : NaN;
  else if (e === 0) mag = m * 2 ** (1 - fmt.bias - fmt.mantissaBits);
  else mag = (1 + m / 2 ** fmt.mantissaBits) * 2 ** (e - fmt.bias);
  return negative ? -mag : mag;
}

export const FORMATS = { bf16: BF16, f16: F16, f8e4m3: F8E4M3 } as const;

/** Seeded random numbers (mulberry32, the same generator the tiny checkpoints use), so failures reproduce. */
import { uniformSource } from "../../src/models/ltx2/seededRandom.js";
export const rng = uniformSource;

/** f32 test values: mostly normal(0, 8), plus zeros, subnormals, huge values, infinities and NaN. */
export function testValues(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const specials = [0, -0, Infinity, -Infinity, NaN, 1e-40, -3e-39, 65504, 65520, 448, 464, 480, 3.4e38, 2 ** -24, 2 ** -25];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (i % 7 === 3) {
      out[i] = specials[Math.floor(r() * specials.length)]!;
    } else {
      const g = Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
      out[i] = g * 8;
    }
  }
  return out;
}

/** Same number, with any NaN equal to any NaN. */
export function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}
