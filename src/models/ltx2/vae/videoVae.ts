// upstream video_vae/video_vae.py VideoEncoder: frames cropped to 1 + 8k, patchify by patch_size, causal conv_in,
// the encoder blocks, PixelNorm → SiLU → conv_out, the latent means (first latent_channels channels), normalized
// with the per-channel statistics. Keys under `vae.encoder.` and `vae.per_channel_statistics.`.
import type { SafetensorsFile, WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { silu } from "../../../runtime/activation.js";
import { pixelNorm } from "../../../runtime/norm.js";
import { narrow } from "../../../runtime/shape.js";
import { Tensor } from "../../../runtime/tensor.js";
import { BlendBuffer } from "./blend.js";
import { blockStride, encoderOutChannels, parseVideoVaeConfig, type VideoVaeConfig } from "./config.js";
import { CausalConv3d } from "./convolution.js";
import { PerChannelStatistics, patchify } from "./ops.js";
import { ResnetBlock3D, UNetMidBlock3D } from "./resnet.js";
import { SpaceToDepthDownsample } from "./sampling.js";
import { encoderTiles, masksAreComplementary, type TilingConfig } from "./tiling.js";

type EncoderBlock = UNetMidBlock3D | ResnetBlock3D | CausalConv3d | SpaceToDepthDownsample;

export function vaeInputError(problem: string): AiprodError {
  return new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.vae: ${problem}`);
}

/** Reads `config.vae` from a checkpoint (an error names the file when it is absent). */
export function vaeConfigOf(file: SafetensorsFile): VideoVaeConfig {
  const vae = file.config?.vae;
  if (vae === undefined) throw new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.ltx2.vae: ${file.name} has no __metadata__.config.vae`);
  return parseVideoVaeConfig(vae);
}

export class VideoEncoder implements Disposable {
  readonly convIn: CausalConv3d;
  readonly downBlocks: EncoderBlock[] = [];
  readonly convOut: CausalConv3d;
  readonly perChannelStatistics: PerChannelStatistics;

  /** `encoder`: the keys under `vae.encoder.`; `statistics`: the keys under `vae.per_channel_statistics.`. */
  constructor(readonly config: VideoVaeConfig, encoder: WeightSource, statistics: WeightSource) {
    const pad = config.encoderSpatialPaddingMode;
    const owned: Disposable[] = [];
    const own = <T extends Disposable>(m: T): T => (owned.push(m), m);
    try {
      this.perChannelStatistics = own(new PerChannelStatistics(statistics, "", config.latentChannels));
      let c = config.latentChannels;
      this.convIn = own(new CausalConv3d(encoder, "conv_in.", config.inChannels * config.patchSize ** 2, c, pad));
      config.encoderBlocks.forEach((b, i) => {
        const p = `down_blocks.${i}.`;
        if (b.name === "res_x") this.downBlocks.push(own(new UNetMidBlock3D(encoder, p, c, b.numLayers, pad)));
        else if (b.name === "res_x_y") {
          this.downBlocks.push(own(new ResnetBlock3D(encoder, p, c, c * b.multiplier, pad)));
          c *= b.multiplier;
        } else if (b.name.endsWith("_res")) {
          this.downBlocks.push(own(new SpaceToDepthDownsample(encoder, p, c, c * b.multiplier, blockStride(b.name), pad)));
          c *= b.multiplier;
        } else {
          // compress_time / compress_space / compress_all(_x_y): one strided causal conv.
          const out = b.name === "compress_all_x_y" ? c * b.multiplier : c;
          this.downBlocks.push(own(new CausalConv3d(encoder, p, c, out, pad, blockStride(b.name))));
          c = out;
        }
      });
      this.convOut = own(new CausalConv3d(encoder, "conv_out.", c, encoderOutChannels(config), pad));
    } catch (e) {
      for (const m of owned) m[Symbol.dispose]();
      throw e;
    }
  }

  /** From a checkpoint with `__metadata__.config.vae` and `vae.*` keys. */
  static fromCheckpoint(file: SafetensorsFile): VideoEncoder {
    return new VideoEncoder(vaeConfigOf(file), file.view("vae.encoder."), file.view("vae.per_channel_statistics."));
  }

  /**
   * Checks a [B, C, F, H, W] video and returns the 1 + 8k frame count it will be cropped to (upstream crops
   * silently; with `cropFrames: false` another count is an error instead).
   */
  #checkVideo(sample: Tensor, cropFrames: boolean): number {
    const s = sample.shape;
    const { scale, inChannels } = this.config;
    if (s.length !== 5) throw vaeInputError(`encode needs a video [B, ${inChannels}, F, H, W], got [${s.join(",")}]`);
    const [, c, f, h, w] = s as [number, number, number, number, number];
    if (c !== inChannels) throw vaeInputError(`encode needs ${inChannels} channels, got ${c} (video [${s.join(",")}])`);
    if (h % scale.height !== 0 || w % scale.width !== 0) {
      throw vaeInputError(`encode needs height and width divisible by ${scale.height}, got ${h}x${w}`);
    }
    if (f < 1) throw vaeInputError("encode needs at least one frame");
    if (!cropFrames && (f - 1) % scale.time !== 0) {
      throw vaeInputError(`encode needs ${scale.time}k+1 frames, got ${f} (pass cropFrames: true to drop the last ${(f - 1) % scale.time})`);
    }
    return f - ((f - 1) % scale.time); // upstream crops the last frames to 1 + 8k
  }

  /**
   * Video [B, 3, F, H, W] in [-1, 1] → normalized latent means [B, latent_channels, F', H/32, W/32] (f32). Frames
   * beyond the last 8k+1 are dropped like upstream does, unless `cropFrames` is false (then they are an error).
   */
  forward(sample: Tensor, opts: { cropFrames?: boolean } = {}): Tensor {
    const frames = this.#checkVideo(sample, opts.cropFrames ?? true);
    using cropped = frames === sample.shape[2] ? undefined : narrow(sample, 2, 0, frames);
    const input = cropped ?? sample;
    using f32 = input.dtype === "f32" ? undefined : input.cast("f32");
    using patched = patchify(f32 ?? input, this.config.patchSize, 1);
    let h = this.convIn.forward(patched, true);
    for (const block of this.downBlocks) {
      using prev = h;
      h = block.forward(prev, true);
    }
    using last = h;
    using normed = pixelNorm(last);
    using act = silu(normed);
    using out = this.convOut.forward(act, true);
    // Every log-variance layout puts the latent_channels means first (upstream splits them off the same way).
    using means = narrow(out, 1, 0, this.config.latentChannels);
    return this.perChannelStatistics.normalize(means);
  }

  /**
   * upstream VideoEncoder.tiled_encode (batch 1): encodes overlapping pixel tiles and blends their latents with
   * the trapezoid masks, dividing by the summed weights.
   */
  tiledEncode(video: Tensor, tiling: TilingConfig, opts: { cropFrames?: boolean } = {}): Tensor {
    const frames = this.#checkVideo(video, opts.cropFrames ?? true);
    const [b, , , h, w] = video.shape as [number, number, number, number, number];
    if (b !== 1) throw vaeInputError(`tiled encode takes one video at a time, got batch ${b}`);
    const { scale, latentChannels: lc } = this.config;
    const lf = (frames - 1) / scale.time + 1, lh = h / scale.height, lw = w / scale.width;
    const buffer = new BlendBuffer(lc, lf, lh, lw);
    const tiles = encoderTiles([frames, h, w], tiling, scale);
    // Like upstream: when the masks sum to 1 on every axis the blend needs no division.
    const complementary = masksAreComplementary(tiles, (t) => t.latent, [lf, lh, lw]);
    for (const tile of tiles) {
      const [[t0, t1], [y0, y1], [x0, x1]] = tile.pixel;
      using a = narrow(video, 2, t0, t1 - t0);
      using bb = narrow(a, 3, y0, y1 - y0);
      using piece = narrow(bb, 4, x0, x1 - x0);
      using latent = this.forward(piece, { cropFrames: false });
      const [, , tf, th, tw] = latent.shape as [number, number, number, number, number];
      buffer.add(latent.toFloat32(), [lc, tf, th, tw], [tile.latent[0][0], tile.latent[1][0], tile.latent[2][0]], tile.masks);
    }
    const vol = lf * lh * lw;
    const out = new Float32Array(lc * vol);
    for (let c = 0; c < lc; c++) {
      for (let i = 0; i < vol; i++) out[c * vol + i] = complementary ? buffer.data[c * vol + i]! : buffer.data[c * vol + i]! / Math.max(buffer.weights[i]!, 1e-8);
    }
    return Tensor.from(out, [1, lc, lf, lh, lw]);
  }

  dispose(): void {
    this.perChannelStatistics.dispose();
    this.convIn.dispose();
    for (const b of this.downBlocks) b.dispose();
    this.convOut.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
