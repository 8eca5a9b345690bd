// upstream media_io/resize.py::resize_and_center_crop: scale to cover the target (ceil of the scaled size),
// bilinear with torch's align_corners=False rule (no antialias), then a centered crop.
export interface RgbImage {
  /** Interleaved RGB, row-major [height, width, 3], values 0..255. */
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
}

/** torch interpolate(bilinear, align_corners=False) source coordinates for one axis. */
function axisWeights(src: number, dst: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(dst), i1 = new Int32Array(dst), w = new Float32Array(dst);
  const scale = src / dst;
  for (let o = 0; o < dst; o++) {
    const x = Math.max(0, (o + 0.5) * scale - 0.5);
    const a = Math.min(Math.floor(x), src - 1);
    i0[o] = a;
    i1[o] = Math.min(a + 1, src - 1);
    w[o] = x - a;
  }
  return { i0, i1, w };
}

/** Cover-resize + center crop to width×height; returns float RGB [height, width, 3] in 0..255. */
export function resizeAndCenterCrop(img: RgbImage, width: number, height: number): Float32Array {
  const scale = Math.max(height / img.height, width / img.width);
  const newH = Math.ceil(img.height * scale), newW = Math.ceil(img.width * scale);
  const top = Math.floor((newH - height) / 2), left = Math.floor((newW - width) / 2);
  const ys = axisWeights(img.height, newH), xs = axisWeights(img.width, newW);
  const out = new Float32Array(width * height * 3);
  const src = img.data, sw = img.width;
  for (let y = 0; y < height; y++) {
    const oy = y + top;
    const y0 = ys.i0[oy]!, y1 = ys.i1[oy]!, wy = ys.w[oy]!;
    for (let x = 0; x < width; x++) {
      const ox = x + left;
      const x0 = xs.i0[ox]!, x1 = xs.i1[ox]!, wx = xs.w[ox]!;
      for (let c = 0; c < 3; c++) {
        const a = src[(y0 * sw + x0) * 3 + c]!, b = src[(y0 * sw + x1) * 3 + c]!;
        const d = src[(y1 * sw + x0) * 3 + c]!, e = src[(y1 * sw + x1) * 3 + c]!;
        const top_ = a + (b - a) * wx, bottom = d + (e - d) * wx;
        out[(y * width + x) * 3 + c] = top_ + (bottom - top_) * wy;
      }
    }
  }
  return out;
}

/** RGB frames [F][H·W·3] in 0..255 → a [1, 3, F, H, W] array in [-1, 1] (x / 127.5 − 1, upstream normalize_images). */
export function framesToVaeInput(frames: readonly Float32Array[], width: number, height: number): Float32Array {
  const plane = width * height, f = frames.length;
  const out = new Float32Array(3 * f * plane);
  frames.forEach((frame, t) => {
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[(c * f + t) * plane + i] = Math.fround(frame[i * 3 + c]! / 127.5 - 1);
  });
  return out;
}
