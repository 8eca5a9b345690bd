// upstream upsampler/model.py LatentUpsampler (dims 3) and upsample_video. initial_conv → GroupNorm(32) → SiLU →
// res_blocks → upsampler → post_upsample_res_blocks → final_conv. The upsampler is, spatial ×2: a per-frame
// Conv2d(mid → 4·mid) + pixel shuffle "b (c p1 p2) h w -> b c (h p1) (w p2)"; temporal ×2: Conv3d(mid → 2·mid) +
// "b (c p1) f h w -> b c (f p1) h w" with the first output frame dropped (F' → 2F' − 1); both: Conv3d(mid → 8·mid)
// + the 3-D shuffle, first frame dropped. Keys are the file's own (no prefix).
import type { SafetensorsFile, WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { silu } from "../../../runtime/activation.js";
import { conv3d } from "../../../runtime/conv.js";
import { depthToSpace3d, type Factors3 } from "../../../runtime/layout.js";
import { reshape } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import type { PerChannelStatistics } from "../vae/ops.js";
import { dropFirstFrame } from "../vae/sampling.js";
import { f32Param } from "../weights.js";
import { type LatentUpsamplerConfig, parseLatentUpsamplerConfig } from "./config.js";
import { Conv3dK3, GroupNorm32, ResBlock } from "./resBlock.js";

export class LatentUpsampler implements Disposable {
  readonly #parts: Disposable[] = [];
  readonly initialConv: Conv3dK3;
  readonly initialNorm: GroupNorm32;
  readonly resBlocks: ResBlock[] = [];
  readonly postUpsampleResBlocks: ResBlock[] = [];
  readonly finalConv: Conv3dK3;
  /** upsampler.0 as a Conv3d weight [k·mid, mid, kt, 3, 3] (the per-frame Conv2d gets kt = 1). */
  readonly upWeight: Tensor;
  readonly upBias: Tensor;
  readonly factors: Factors3;

  constructor(readonly config: LatentUpsamplerConfig, source: WeightSource) {
    const { inChannels: cin, midChannels: mid, numBlocksPerStage: n, spatialUpsample, temporalUpsample } = config;
    const own = <T extends Disposable>(m: T): T => (this.#parts.push(m), m);
    this.factors = temporalUpsample ? (spatialUpsample ? [2, 2, 2] : [2, 1, 1]) : [1, 2, 2];
    const k = this.factors[0] * this.factors[1] * this.factors[2];
    try {
      this.initialConv = own(new Conv3dK3(source, "initial_conv.", cin, mid));
      this.initialNorm = own(new GroupNorm32(source, "initial_norm.", mid));
      for (let i = 0; i < n; i++) this.resBlocks.push(own(new ResBlock(source, `res_blocks.${i}.`, mid)));
      if (temporalUpsample) {
        this.upWeight = own(f32Param(source, "upsampler.0.weight", [k * mid, mid, 3, 3, 3]));
      } else {
        // A per-frame Conv2d is a Conv3d with a time kernel of 1: view its [O, I, 3, 3] weight as [O, I, 1, 3, 3].
        using w2 = f32Param(source, "upsampler.0.weight", [k * mid, mid, 3, 3]);
        this.upWeight = own(reshape(w2, [k * mid, mid, 1, 3, 3]));
      }
      this.upBias = own(f32Param(source, "upsampler.0.bias", [k * mid]));
      for (let i = 0; i < n; i++) this.postUpsampleResBlocks.push(own(new ResBlock(source, `post_upsample_res_blocks.${i}.`, mid)));
      this.finalConv = own(new Conv3dK3(source, "final_conv.", mid, cin));
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** From an upsampler checkpoint with its own `__metadata__.config`. */
  static fromCheckpoint(file: SafetensorsFile): LatentUpsampler {
    return new LatentUpsampler(parseLatentUpsamplerConfig(file.config ?? {}), file);
  }

  /** Un-normalized latent [B, in_channels, F', H', W'] → [B, in_channels, F'', 2H', 2W'] (or 2F'−1 frames). */
  forward(latent: Tensor): Tensor {
    const s = latent.shape;
    if (s.length !== 5 || s[1] !== this.config.inChannels) {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT",
        `aiprod.ltx2.upsampler: needs a latent [B, ${this.config.inChannels}, F', H', W'] (the upsampler's in_channels), got [${s.join(",")}]`);
    }
    using f32 = latent.dtype === "f32" ? undefined : latent.cast("f32");
    using c0 = this.initialConv.forward(f32 ?? latent);
    using n0 = this.initialNorm.forward(c0);
    let h = silu(n0);
    for (const b of this.resBlocks) {
      using prev = h;
      h = b.forward(prev);
    }
    {
      using prev = h;
      const spatialOnly = !this.config.temporalUpsample;
      using up = conv3d(prev, this.upWeight, { bias: this.upBias, padding: spatialOnly ? [0, 1, 1] : 1 });
      using shuffled = depthToSpace3d(up, this.factors);
      h = spatialOnly ? reshape(shuffled, shuffled.shape) : dropFirstFrame(shuffled);
    }
    for (const b of this.postUpsampleResBlocks) {
      using prev = h;
      h = b.forward(prev);
    }
    using last = h;
    return this.finalConv.forward(last);
  }

  dispose(): void {
    for (const p of this.#parts) p[Symbol.dispose]();
    this.#parts.length = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** upstream upsample_video: un-normalize with the VAE's statistics → upsampler → normalize. */
export function upsampleVideo(latent: Tensor, statistics: PerChannelStatistics, upsampler: LatentUpsampler): Tensor {
  if (latent.shape[1] !== statistics.channels) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT",
      `aiprod.ltx2.upsampler: the latent has ${latent.shape[1]} channels but the VAE statistics have ${statistics.channels}`);
  }
  using raw = statistics.unNormalize(latent);
  using up = upsampler.forward(raw);
  return statistics.normalize(up);
}
