// Next-token choice from f32 logits: greedy (argmax, lowest id on ties) or sampling with temperature, top-k
// and nucleus (top-p) filtering in HF's order (temperature → top-k → top-p), drawn from a seeded generator so a
// seed reproduces a completion. (torch's RNG stream is not reproduced: same seed ≠ same text as upstream.)

export type Sampling =
  | { kind: "greedy" }
  | { kind: "sample"; temperature?: number; topK?: number; topP?: number; seed?: number };

/** SplitMix64 (Steele, Lea & Flood): one 64-bit state, 53-bit uniforms; BigInt is fine at one draw per token. */
export class SeededUniform {
  #state: bigint;
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`SeededUniform: seed must be an integer in [0, 2^53), got ${seed}`);
    this.#state = BigInt(seed);
  }
  /** Uniform in [0, 1). */
  next(): number {
    const M = (1n << 64n) - 1n;
    this.#state = (this.#state + 0x9e3779b97f4a7c15n) & M;
    let z = this.#state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    z ^= z >> 31n;
    return Number(z >> 11n) / 2 ** 53;
  }
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** Probabilities over the kept candidates, sorted by decreasing probability (ties: lower id first). */
export function filteredDistribution(logits: Float32Array, temperature: number, topK: number, topP: number): { ids: number[]; probs: number[] } {
  if (!(temperature > 0)) throw new RangeError(`sampling: temperature must be > 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`sampling: topP must be in (0, 1], got ${topP}`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`sampling: topK must be a non-negative integer (0 = off), got ${topK}`);
  const order = (a: number, b: number) => logits[b]! - logits[a]! || a - b;
  let ids: number[];
  if (topK > 0) {
    // One pass keeping the k best in order: sorting all 262k logits per token would dominate small steps.
    ids = [];
    for (let i = 0; i < logits.length; i++) {
      if (!(logits[i]! > -Infinity)) continue;
      if (ids.length === topK && order(ids[topK - 1]!, i) <= 0) continue;
      if (ids.length < topK) ids.push(i);
      else ids[topK - 1] = i;
      for (let j = ids.length - 1; j > 0 && order(ids[j - 1]!, ids[j]!) > 0; j--) [ids[j - 1], ids[j]] = [ids[j]!, ids[j - 1]!];
    }
  } else {
    ids = Array.from(logits.keys()).filter((i) => logits[i]! > -Infinity);
    ids.sort(order);
  }
  if (ids.length === 0) throw new RangeError("sampling: every logit is -Infinity or NaN");
  const max = logits[ids[0]!]! / temperature;
  const w = ids.map((i) => Math.exp(logits[i]! / temperature - max));
  const z = w.reduce((a, b) => a + b, 0);
  let probs = w.map((x) => x / z);
  // Nucleus: the smallest prefix whose mass reaches topP (HF drops tokens whose ascending cumulative mass is
  // ≤ 1 − topP, which keeps the same prefix), at least one token.
  if (topP < 1) {
    let mass = 0, keep = 0;
    while (keep < probs.length && mass < topP) mass += probs[keep++]!;
    ids = ids.slice(0, Math.max(1, keep));
    const kept = probs.slice(0, ids.length);
    const s = kept.reduce((a, b) => a + b, 0);
    probs = kept.map((p) => p / s);
  }
  return { ids, probs };
}

export class TokenSampler {
  readonly #rng: SeededUniform | undefined;
  constructor(readonly sampling: Sampling) {
    this.#rng = sampling.kind === "sample" ? new SeededUniform(sampling.seed ?? 10) : undefined;
  }

  next(logits: Float32Array): number {
    const s = this.sampling;
    if (s.kind === "greedy") return argmax(logits);
    const { ids, probs } = filteredDistribution(logits, s.temperature ?? 1, s.topK ?? 0, s.topP ?? 1);
    const u = this.#rng!.next();
    let acc = 0;
    for (let i = 0; i < ids.length; i++) {
      acc += probs[i]!;
      if (u < acc) return ids[i]!;
    }
    return ids[ids.length - 1]!;
  }
}
