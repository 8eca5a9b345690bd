// One sampler step per call (upstream `ltx_core/components/diffusion_steps.py`) and the velocity ↔ x̂₀
// conversions they rest on (`ltx_core/utils.py::to_velocity/to_denoised`). Latents are flat Float32Arrays in
// token layout; every formula is evaluated in float32 with one rounding per torch op, in upstream's op order.
import { checkArray, checkFinite, checkStorage, f32, type StorageDType, toStorage } from "./precision.js";

/** Supplies standard-normal noise (e.g. `GaussianGenerator.randnBf16`), drawn only when a step needs it. */
export type NoiseSource = Float32Array | ((n: number) => Float32Array);

function checkStep(sigmas: Float32Array, i: number, fn: string): void {
  checkArray(sigmas, undefined, fn, "sigmas");
  if (!Number.isInteger(i) || i < 0 || i + 1 >= sigmas.length) {
    throw new RangeError(`${fn}: stepIndex must be an integer in [0, ${sigmas.length - 2}], got ${i}`);
  }
}

/**
 * `to_velocity`: v = (x − x̂₀)/σ in f32, cast to the storage dtype (upstream `.to(sample.dtype)`).
 * σ = 0 is refused, as upstream does ("Sigma can't be 0.0").
 */
export function toVelocity(sample: Float32Array, denoised: Float32Array, sigma: number, storage: StorageDType = "f32"): Float32Array {
  const fn = "toVelocity";
  checkArray(sample, undefined, fn, "sample");
  checkArray(denoised, sample.length, fn, "denoised");
  checkStorage(storage, fn);
  const s = f32(checkFinite(sigma, fn, "sigma"));
  if (s === 0) throw new RangeError(`${fn}: sigma can't be 0`);
  const out = new Float32Array(sample.length);
  for (let k = 0; k < out.length; k++) out[k] = f32(f32(sample[k]! - denoised[k]!) / s);
  return toStorage(out, storage);
}

/**
 * `to_denoised` per token (X0Model): x̂₀ = x − v·t_tok, where `timesteps` holds one t_tok = σ·mask per token
 * (B·T values) and each token has `channels` values. Mask-0 tokens (t = 0) return x unchanged.
 */
export function toDenoised(sample: Float32Array, velocity: Float32Array, timesteps: Float32Array, channels: number, storage: StorageDType = "f32"): Float32Array {
  const fn = "toDenoised";
  checkArray(sample, undefined, fn, "sample");
  checkArray(velocity, sample.length, fn, "velocity");
  checkArray(timesteps, undefined, fn, "timesteps");
  checkStorage(storage, fn);
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`${fn}: channels must be a positive integer, got ${channels}`);
  if (timesteps.length * channels !== sample.length) {
    throw new RangeError(`${fn}: sample has ${sample.length} elements, expected timesteps (${timesteps.length} tokens) × ${channels} channels`);
  }
  const out = new Float32Array(sample.length);
  for (let tok = 0; tok < timesteps.length; tok++) {
    const t = timesteps[tok]!;
    for (let c = tok * channels, e = c + channels; c < e; c++) out[c] = f32(sample[c]! - f32(velocity[c]! * t));
  }
  return toStorage(out, storage);
}

/**
 * `EulerDiffusionStep.step`: x + (σ_{i+1} − σ_i)·v with v = (x − x̂₀)/σ_i. Upstream casts v to the latent dtype
 * before the update and the result after it; pass `storage: "bf16"` for bf16 latents to do the same.
 */
export function eulerStep(sample: Float32Array, denoised: Float32Array, sigmas: Float32Array, stepIndex: number, storage: StorageDType = "f32"): Float32Array {
  const fn = "eulerStep";
  checkStep(sigmas, stepIndex, fn);
  const sigma = sigmas[stepIndex]!;
  const dt = f32(sigmas[stepIndex + 1]! - sigma);
  const v = toVelocity(sample, denoised, sigma, storage);
  const out = new Float32Array(sample.length);
  for (let k = 0; k < out.length; k++) out[k] = f32(sample[k]! + f32(v[k]! * dt));
  return toStorage(out, storage);
}

export interface EulerAncestralOptions {
  /** 0 = plain Euler, 1 = fully ancestral (upstream default and the 2.5 distilled setting). */
  eta?: number;
  /** Noise multiplier. */
  sNoise?: number;
  /** Required when eta > 0 and σ_{i+1} ≠ 0; a function is called once with the element count. */
  noise?: NoiseSource;
}

/**
 * `EulerAncestralDiffusionStep.step` (rectified-flow form): Euler to σ_down = σ_{i+1}(1 + (σ_{i+1}/σ_i − 1)η),
 * then renoise to σ_{i+1}: x = ((1−σ_{i+1})/(1−σ_down))·x' + ε·s_noise·√max(0, σ_{i+1}² − σ_down²(1−σ_{i+1})²/(1−σ_down)²).
 * When σ_{i+1} = 0 it returns x̂₀ and draws no noise. Result is f32: upstream's ancestral loop steps a
 * float32 copy and casts only after re-applying the mask.
 */
export function eulerAncestralStep(sample: Float32Array, denoised: Float32Array, sigmas: Float32Array, stepIndex: number, options: EulerAncestralOptions = {}): Float32Array {
  const fn = "eulerAncestralStep";
  const { eta = 1, sNoise = 1, noise } = options;
  checkStep(sigmas, stepIndex, fn);
  checkArray(sample, undefined, fn, "sample");
  checkArray(denoised, sample.length, fn, "denoised");
  if (checkFinite(eta, fn, "eta") < 0) throw new RangeError(`${fn}: eta must be >= 0, got ${eta}`);
  checkFinite(sNoise, fn, "sNoise");
  const sigma = sigmas[stepIndex]!;
  const sigmaNext = sigmas[stepIndex + 1]!;
  if (sigmaNext === 0) return Float32Array.from(denoised);
  if (sigma === 0) throw new RangeError(`${fn}: sigmas[${stepIndex}] is 0 but the next sigma is not`);

  const downRatio = f32(1 + f32(f32(f32(sigmaNext / sigma) - 1) * f32(eta)));
  const sigmaDown = f32(sigmaNext * downRatio);
  const r = f32(sigmaDown / sigma);
  const oneMinusR = f32(1 - r);
  const out = new Float32Array(sample.length);
  for (let k = 0; k < out.length; k++) out[k] = f32(f32(r * sample[k]!) + f32(oneMinusR * denoised[k]!));
  if (eta === 0) return out;

  if (noise === undefined) throw new TypeError(`${fn}: noise is required when eta > 0`);
  const eps = typeof noise === "function" ? noise(sample.length) : noise;
  checkArray(eps, sample.length, fn, "noise");
  const alphaNext = f32(1 - sigmaNext);
  const alphaDown = f32(1 - sigmaDown);
  const variance = f32(f32(sigmaNext * sigmaNext) - f32(f32(f32(sigmaDown * sigmaDown) * f32(alphaNext * alphaNext)) / f32(alphaDown * alphaDown)));
  const renoise = f32(Math.sqrt(Math.max(variance, 0)));
  const alphaRatio = f32(alphaNext / alphaDown);
  const s = f32(sNoise);
  for (let k = 0; k < out.length; k++) out[k] = f32(f32(alphaRatio * out[k]!) + f32(f32(eps[k]! * s) * renoise));
  return out;
}
