// Deterministic pseudo-random numbers for the tiny-checkpoint generators (product code: the generated weights
// must be reproducible from a seed on every machine). mulberry32 for uniforms, Box–Muller for normals.

/** Uniforms in [0, 1) from a 32-bit seed (mulberry32). */
export function uniformSource(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n standard normals from a seed (the uniform is shifted off 0 so log() stays finite). */
export function normals(n: number, seed: number): Float32Array {
  const next = uniformSource(seed);
  const u = () => next() + 0.5 / 4294967296;
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** A 32-bit seed derived from a base seed and a string (each weight gets its own stream). */
export function deriveSeed(seed: number, key: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
