// Weighted accumulation of tiles into a JS buffer (upstream `buffer[out] += scale_by_masks_1d(tile, masks)` and
// the matching weight sums). Done in plain Float32Arrays: the buffer is one temporal tile of the output, and
// slices of it never need to be native tensors.

/** A [C, T, H, W] float buffer with a running weight per (T, H, W) position. */
export class BlendBuffer {
  readonly data: Float32Array;
  readonly weights: Float32Array;

  constructor(readonly channels: number, readonly frames: number, readonly height: number, readonly width: number) {
    this.data = new Float32Array(channels * frames * height * width);
    this.weights = new Float32Array(frames * height * width);
  }

  get bytes(): number {
    return this.data.byteLength + this.weights.byteLength;
  }

  /**
   * Adds tile [C, tf, th, tw] (its first `frames` frames) at offset (t0, y0, x0) scaled by mask_t ⊗ mask_h ⊗ mask_w
   * (length-1 masks broadcast), and the mask product to the weights.
   */
  add(tile: Float32Array, shape: readonly [number, number, number, number], at: readonly [number, number, number],
    masks: readonly [Float32Array, Float32Array, Float32Array], frames = shape[1]): void {
    const [c, tf, th, tw] = shape;
    const [t0, y0, x0] = at;
    const m = (a: Float32Array, i: number) => (a.length === 1 ? a[0]! : a[i]!);
    const plane = this.height * this.width, vol = this.frames * plane;
    for (let t = 0; t < frames; t++) {
      for (let y = 0; y < th; y++) {
        for (let x = 0; x < tw; x++) {
          // Same order as upstream's separable multiply: ((v · m_t) · m_h) · m_w in f32.
          const mt = m(masks[0], t), mh = m(masks[1], y), mw = m(masks[2], x);
          const wgt = Math.fround(Math.fround(mt * mh) * mw);
          const pos = (t + t0) * plane + (y + y0) * this.width + (x + x0);
          this.weights[pos] = this.weights[pos]! + wgt;
          for (let ch = 0; ch < c; ch++) {
            const v = tile[((ch * tf + t) * th + y) * tw + x]!;
            this.data[ch * vol + pos] = this.data[ch * vol + pos]! + Math.fround(Math.fround(Math.fround(v * mt) * mh) * mw);
          }
        }
      }
    }
  }
}
