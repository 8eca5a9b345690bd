// Storage-precision helpers for the sampling math. Upstream computes the sampling formulas in float32
// (`.to(torch.float32)`) and casts results back to the latent's dtype (bf16 in the pipelines); these helpers
// let the TypeScript code do the same: `f32` is one IEEE single rounding, `toStorage` the final cast.

/** dtype the latents are stored in between steps: upstream pipelines keep bf16 latents, tests may use f32. */
export type StorageDType = "f32" | "bf16";

export const f32 = Math.fround;

const scratchF = new Float32Array(1);
const scratchU = new Uint32Array(scratchF.buffer);

/** Rounds an f32 value to the nearest bf16 value (round half to even, like torch's `.to(torch.bfloat16)`). */
export function roundBf16(x: number): number {
  scratchF[0] = x;
  const bits = scratchU[0]!;
  // NaN: keep it NaN (adding the rounding bias could carry a NaN payload into the infinity encoding).
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) return NaN;
  scratchU[0] = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
  return scratchF[0]!;
}

/** Rounds every element in place to the storage dtype (no-op for f32: the array already holds f32 values). */
export function toStorage(a: Float32Array, storage: StorageDType): Float32Array {
  if (storage === "bf16") for (let i = 0; i < a.length; i++) a[i] = roundBf16(a[i]!);
  return a;
}

export function checkStorage(storage: unknown, fn: string): StorageDType {
  if (storage !== "f32" && storage !== "bf16") throw new TypeError(`${fn}: storage must be "f32" or "bf16", got ${String(storage)}`);
  return storage;
}

/** Throws unless `a` is a Float32Array of `length` elements; names the argument in the error. */
export function checkArray(a: unknown, length: number | undefined, fn: string, name: string): Float32Array {
  if (!(a instanceof Float32Array)) throw new TypeError(`${fn}: ${name} must be a Float32Array`);
  if (length !== undefined && a.length !== length) {
    throw new RangeError(`${fn}: ${name} has ${a.length} elements, expected ${length}`);
  }
  return a;
}

/**
 * Checks a token-layout latent (B,T,C) against its per-token mask (B,T,1): `channels` must be a positive
 * integer and the latent exactly `mask.length · channels` long. Returns the channel count.
 */
export function checkTokenLayout(latent: Float32Array, mask: Float32Array, channels: number, fn: string, latentName: string): number {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`${fn}: channels must be a positive integer, got ${channels}`);
  if (latent.length !== mask.length * channels) {
    throw new RangeError(
      `${fn}: ${latentName} has ${latent.length} elements but the mask has ${mask.length} tokens × ${channels} channels = ${mask.length * channels}`,
    );
  }
  return channels;
}

export function checkFinite(x: unknown, fn: string, name: string): number {
  if (typeof x !== "number" || !Number.isFinite(x)) throw new RangeError(`${fn}: ${name} must be a finite number, got ${String(x)}`);
  return x;
}
