// Seeded Gaussian noise and the initial noising of a latent state (upstream `ltx_core/components/noisers.py`).
//
// Generator: xoshiro128** (Blackman & Vigna) seeded through splitmix32, Box–Muller on 53-bit uniforms. Only
// integer ops, IEEE-exact float64 arithmetic, Math.sqrt (correctly rounded) and V8's bundled fdlibm
// log/cos/sin are involved, so a seed gives the same stream on every platform Node runs on. It is not
// PyTorch's Philox stream: bit-exact reproduction of upstream outputs is out of scope (checklist item 12).
import { checkArray, checkFinite, checkStorage, checkTokenLayout, f32, roundBf16, type StorageDType, toStorage } from "./precision.js";

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) >>> 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [s, (z ^ (z >>> 16)) >>> 0];
}

/**
 * One seeded stream of standard normals, shared across draws like upstream's `torch.Generator`: each draw
 * continues where the previous one stopped, so the order of draws matters (video before audio, as upstream).
 */
export class GaussianGenerator {
  readonly seed: number;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** `seed`: an integer in [0, 2^53) (upstream seeds are Python ints; the default seed is 10). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`GaussianGenerator: seed must be an integer in [0, 2^53), got ${seed}`);
    this.seed = seed;
    // Both 32-bit halves of the seed feed splitmix32, so seeds differing only above bit 31 still differ.
    let st = (seed % 0x100000000) >>> 0;
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(st ^ (i === 1 ? hi : 0));
      st = next;
      words.push(out);
    }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
    // xoshiro's all-zero state is a fixed point; splitmix outputs cannot all be 0, but guard anyway.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next xoshiro128** output, an unsigned 32-bit integer. */
  private nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (26 + 27 from two outputs). */
  private uniform53(): number {
    return ((this.nextU32() >>> 6) * 134217728 + (this.nextU32() >>> 5)) / 9007199254740992;
  }

  /** `n` standard normals in float64 (Box–Muller pairs; an odd `n` discards the last pair's second value). */
  normal(n: number): Float64Array {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`GaussianGenerator.normal: n must be a non-negative integer, got ${n}`);
    const out = new Float64Array(n);
    for (let k = 0; k < n; k += 2) {
      const u1 = 1 - this.uniform53(); // (0, 1]: log stays finite
      const u2 = this.uniform53();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[k] = r * Math.cos(2 * Math.PI * u2);
      if (k + 1 < n) out[k + 1] = r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  /** `n` standard normals rounded to bf16 (upstream draws `torch.randn(…, dtype=bfloat16)`), stored as f32. */
  randnBf16(n: number): Float32Array {
    const z = this.normal(n);
    const out = new Float32Array(n);
    for (let k = 0; k < n; k++) out[k] = roundBf16(f32(z[k]!));
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Noise for a token-layout latent (B, T, C), drawn from the shared generator and rounded to bf16. */
export function drawNoise(generator: GaussianGenerator, shape: readonly [number, number, number]): Float32Array {
  if (!(generator instanceof GaussianGenerator)) throw new TypeError("drawNoise: generator must be a GaussianGenerator");
  if (shape.length !== 3 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new RangeError(`drawNoise: shape must be [batch, tokens, channels] of positive integers, got [${shape.join(", ")}]`);
  }
  return generator.randnBf16(shape[0] * shape[1] * shape[2]);
}

/** torch.lerp in f32: a + w(b − a) for |w| < 0.5, else b − (b − a)(1 − w) (more accurate near w = 1). */
function lerp(a: number, b: number, w: number): number {
  return Math.abs(w) < 0.5 ? f32(a + f32(w * f32(b - a))) : f32(b - f32(f32(b - a) * f32(1 - w)));
}

/**
 * `GaussianNoiser.__call__`: x = lerp(clean, lerp(latent, ε, s), m) = clean + m·((1−s)·latent + s·ε − clean),
 * with the per-token mask (B,T,1) broadcast over `channels`. s = 1 in stage 1, σ_0 of the schedule in stage 2.
 * The result is cast to `storage` (upstream: the latent dtype, bf16).
 */
export function gaussianNoiser(
  latent: Float32Array, clean: Float32Array, denoiseMask: Float32Array, noiseScale: number, noise: Float32Array,
  channels: number, storage: StorageDType = "f32",
): Float32Array {
  const fn = "gaussianNoiser";
  checkArray(latent, undefined, fn, "latent");
  checkArray(denoiseMask, undefined, fn, "denoiseMask");
  checkTokenLayout(latent, denoiseMask, channels, fn, "latent");
  checkArray(clean, latent.length, fn, "clean");
  checkArray(noise, latent.length, fn, "noise");
  checkStorage(storage, fn);
  const s = f32(checkFinite(noiseScale, fn, "noiseScale"));
  const out = new Float32Array(latent.length);
  for (let tok = 0; tok < denoiseMask.length; tok++) {
    const m = denoiseMask[tok]!;
    for (let c = tok * channels, e = c + channels; c < e; c++) out[c] = lerp(clean[c]!, lerp(latent[c]!, noise[c]!, s), m);
  }
  return toStorage(out, storage);
}
