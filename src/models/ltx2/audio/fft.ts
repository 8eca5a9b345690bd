// In-place radix-2 complex FFT in float64, for the STFT of the mel front end (n_fft is a power of two: 1024).
// float64 makes the transform itself exact to ~1e-13 relative, far below the f32 rounding of torch's STFT.

/** Twiddle tables for one FFT size, reused across frames. */
export class Fft {
  readonly n: number;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;
  readonly #rev: Uint32Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0) throw new RangeError(`Fft: size must be a power of two ≥ 2, got ${n}`);
    this.n = n;
    this.#cos = new Float64Array(n / 2);
    this.#sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      this.#cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.#sin[k] = -Math.sin((2 * Math.PI * k) / n);
    }
    const bits = Math.log2(n);
    this.#rev = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      this.#rev[i] = r;
    }
  }

  /** X[k] = Σ_t x[t]·e^(−2πi·kt/n), in place on (re, im). */
  transform(re: Float64Array, im: Float64Array): void {
    const n = this.n;
    for (let i = 0; i < n; i++) {
      const j = this.#rev[i]!;
      if (j > i) {
        let t = re[i]!; re[i] = re[j]!; re[j] = t;
        t = im[i]!; im[i] = im[j]!; im[j] = t;
      }
    }
    for (let size = 2; size <= n; size <<= 1) {
      const half = size >> 1, step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.#cos[k * step]!, wi = this.#sin[k * step]!;
          const a = start + k, b = a + half;
          const tr = re[b]! * wr - im[b]! * wi;
          const ti = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - tr; im[b] = im[a]! - ti;
          re[a] = re[a]! + tr; im[a] = im[a]! + ti;
        }
      }
    }
  }
}
