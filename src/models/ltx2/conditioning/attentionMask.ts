// IC-LoRA spatial attention masks (ltx_pipelines/iclora_utils.downsample_mask_video_to_latent): a pixel-space
// mask video in [0, 1] becomes one weight per reference token. Space: "area" interpolation (adaptive average
// pooling) to the latent height and width of each frame. Time: the first frame alone, then the mean of each group
// of t = (F_pix − 1)/(F_lat − 1) frames. Token order f, h, w as the reference's latent tokens.
import { conditioningError } from "./latentState.js";

export interface MaskVideo {
  /** [frames, height, width] row-major, values in [0, 1]. */
  data: Float32Array;
  frames: number;
  height: number;
  width: number;
}

/** PyTorch's adaptive average pooling bounds along one axis: [floor(i·n/m), ceil((i+1)·n/m)). */
function poolBounds(n: number, m: number, i: number): [number, number] {
  return [Math.floor((i * n) / m), Math.ceil(((i + 1) * n) / m)];
}

/** One weight per reference latent token (f-major, then h, then w). */
export function downsampleMaskToLatent(mask: MaskVideo, grid: { frames: number; height: number; width: number }): Float32Array {
  const { frames: fPix, height: H, width: W } = mask;
  const { frames: fLat, height: h, width: w } = grid;
  if (mask.data.length !== fPix * H * W) throw conditioningError(`attention mask holds ${mask.data.length} values, not ${fPix}x${H}x${W}`);
  // Spatial area interpolation of every pixel frame to h x w.
  const spatial = new Float64Array(fPix * h * w);
  for (let f = 0; f < fPix; f++) {
    for (let y = 0; y < h; y++) {
      const [y0, y1] = poolBounds(H, h, y);
      for (let x = 0; x < w; x++) {
        const [x0, x1] = poolBounds(W, w, x);
        let sum = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += mask.data[(f * H + yy) * W + xx]!;
        spatial[(f * h + y) * w + x] = sum / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  const out = new Float32Array(fLat * h * w);
  const plane = h * w;
  out.set(Float32Array.from(spatial.subarray(0, plane)), 0);
  if (fPix > 1 && fLat > 1) {
    if ((fPix - 1) % (fLat - 1) !== 0) {
      throw conditioningError(`attention mask has ${fPix} frames; (frames − 1) must be a multiple of the reference's ${fLat - 1} latent frames after the first`);
    }
    const t = (fPix - 1) / (fLat - 1);
    for (let f = 1; f < fLat; f++) {
      for (let i = 0; i < plane; i++) {
        let sum = 0;
        for (let k = 0; k < t; k++) sum += spatial[(1 + (f - 1) * t + k) * plane + i]!;
        out[f * plane + i] = sum / t;
      }
    }
  } else if (fLat > 1) {
    // A one-frame mask (an image) holds for every latent frame: upstream keeps only the first frame, so the
    // token count would not match; repeating it is the only consistent reading.
    for (let f = 1; f < fLat; f++) out.copyWithin(f * plane, 0, plane);
  }
  return out;
}

/** Grayscale in [0, 1] from 8-bit RGB frames already at the mask's size: mean of the channels / 255. */
export function grayMask(frames: readonly Float32Array[], width: number, height: number): MaskVideo {
  const data = new Float32Array(frames.length * width * height);
  frames.forEach((rgb, f) => {
    for (let i = 0; i < width * height; i++) {
      const v = (rgb[3 * i]! + rgb[3 * i + 1]! + rgb[3 * i + 2]!) / 3 / 255;
      data[f * width * height + i] = Math.min(1, Math.max(0, v));
    }
  });
  return { data, frames: frames.length, height, width };
}
