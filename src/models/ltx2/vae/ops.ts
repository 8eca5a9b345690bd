// upstream video_vae/ops.py: patchify/unpatchify (space-to-depth by patch_size with the channel order
// "(c p r q)": time sub-index, then width sub-index, then height sub-index) and PerChannelStatistics
// (normalize: (x − mean-of-means)/std-of-means per latent channel; un_normalize: x·std + mean).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { patchify as patchifyOp, unpatchify as unpatchifyOp } from "../../../runtime/layout.js";
import { addBroadcast, divBroadcast, mulBroadcast, reshape, subBroadcast } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { f32Param } from "../weights.js";

/** "b c (f p) (h q) (w r) -> b (c p r q) f h w" with p = patchSizeT, q = r = patchSizeHw. */
export function patchify(x: Tensor, patchSizeHw: number, patchSizeT = 1): Tensor {
  return patchifyOp(x, patchSizeHw, patchSizeT);
}

/** "b (c p r q) f h w -> b c (f p) (h q) (w r)". */
export function unpatchify(x: Tensor, patchSizeHw: number, patchSizeT = 1): Tensor {
  return unpatchifyOp(x, patchSizeHw, patchSizeT);
}

/** Keys `per_channel_statistics.{mean-of-means,std-of-means}` ([C] each) under the source given. */
export class PerChannelStatistics implements Disposable {
  readonly mean: Tensor;
  readonly std: Tensor;

  constructor(source: WeightSource, prefix: string, readonly channels: number) {
    const mean = f32Param(source, `${prefix}mean-of-means`, [channels]);
    try {
      this.std = f32Param(source, `${prefix}std-of-means`, [channels]);
    } catch (e) {
      mean.dispose();
      throw e;
    }
    this.mean = mean;
  }

  #bcast(t: Tensor, rank: number): Tensor {
    return reshape(t, [1, this.channels, ...Array.from({ length: rank - 2 }, () => 1)]);
  }

  /** (x − mean) / std over dim 1 of [B, C, ...]. */
  normalize(x: Tensor): Tensor {
    using m = this.#bcast(this.mean, x.shape.length);
    using s = this.#bcast(this.std, x.shape.length);
    using centered = subBroadcast(x, m);
    return divBroadcast(centered, s);
  }

  /** x · std + mean over dim 1 of [B, C, ...]. */
  unNormalize(x: Tensor): Tensor {
    using m = this.#bcast(this.mean, x.shape.length);
    using s = this.#bcast(this.std, x.shape.length);
    using scaled = mulBroadcast(x, s);
    return addBroadcast(scaled, m);
  }

  dispose(): void {
    this.mean.dispose();
    this.std.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
