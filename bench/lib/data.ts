// Deterministic inputs: the same numbers every run, so a result can be reproduced and both sides see the same
// data. Uniform in [-1, 1): typical of normalized activations and weights, and far from overflow in softmax.

/** mulberry32: small, fast, good enough to fill benchmark tensors. */
export function randomF32(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** [B,H,N,D] -> [B,N,H*D] (MultiHeadAttention's layout) and back with `inverse`. */
export function swapHeadsAndTokens(a: Float32Array, B: number, H: number, N: number, D: number, inverse = false): Float32Array {
  const out = new Float32Array(a.length);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let n = 0; n < N; n++) {
        const bhnd = ((b * H + h) * N + n) * D, bnhd = ((b * N + n) * H + h) * D;
        if (inverse) out.set(a.subarray(bnhd, bnhd + D), bhnd);
        else out.set(a.subarray(bhnd, bhnd + D), bnhd);
      }
    }
  }
  return out;
}
