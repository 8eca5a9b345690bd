// upstream video_vae/conv_video_decoder.py ConvVideoDecoder: [timestep variant: x = 0.025·ε + 0.975·x] →
// un-normalize → conv_in → the decoder blocks in reverse order → PixelNorm → [timestep variant: last AdaLN] → SiLU →
// conv_out → unpatchify, every conv causal or not per `causal_decoder` (LTX-2: not). decode_video yields frames
// [f, h, w, 3] in [0, 1]; tiled decoding streams one temporal group of tiles at a time.
import type { SafetensorsFile, WeightSource } from "../../../checkpoint/safetensors.js";
import { lerp, silu } from "../../../runtime/activation.js";
import { pixelNorm } from "../../../runtime/norm.js";
import { narrow, permute } from "../../../runtime/shape.js";
import { Tensor } from "../../../runtime/tensor.js";
import { normals } from "../seededRandom.js";
import { f32Param } from "../weights.js";
import { BlendBuffer } from "./blend.js";
import { blockStride, decoderBottleneckChannels, type VideoVaeConfig } from "./config.js";
import { CausalConv3d } from "./convolution.js";
import { PerChannelStatistics, unpatchify } from "./ops.js";
import { adaRows, modulateChannels, ResnetBlock3D, UNetMidBlock3D } from "./resnet.js";
import { DepthToSpaceUpsample } from "./sampling.js";
import { decoderTiles, groupByTemporal, masksAreComplementary, type Tile, type TilingConfig } from "./tiling.js";
import { TimestepEmbedder } from "./timestepEmbedding.js";
import { vaeConfigOf, vaeInputError } from "./videoVae.js";

type DecoderBlock = UNetMidBlock3D | ResnetBlock3D | DepthToSpaceUpsample;

/** upstream ConvVideoDecoder.decode_noise_scale and decode_timestep. */
export const DECODE_NOISE_SCALE = 0.025;
export const DECODE_TIMESTEP = 0.05;

export interface DecodeOptions {
  /** Timestep-conditioned VAEs only: the decode timestep (default 0.05). */
  timestep?: number;
  /** Timestep-conditioned VAEs only: ε of x = 0.025·ε + 0.975·x, latent-shaped; default normals from `seed`. */
  noise?: Tensor;
  /** Seed of the default noise (default 0). */
  seed?: number;
}

export interface DecodeStats {
  /** Bytes of the largest blend buffer held at once (one temporal group of output frames, f32, plus weights). */
  peakBufferBytes: number;
  /** Tiles decoded. */
  tiles: number;
}

export class ConvVideoDecoder implements Disposable {
  readonly convIn: CausalConv3d;
  readonly upBlocks: DecoderBlock[] = [];
  readonly convOut: CausalConv3d;
  readonly perChannelStatistics: PerChannelStatistics;
  readonly #timestep?: { multiplier: number; lastEmbedder: TimestepEmbedder; lastScaleShift: Float32Array; channels: number };

  /** `decoder`: the keys under `vae.decoder.`; `statistics`: the keys under `vae.per_channel_statistics.`. */
  constructor(readonly config: VideoVaeConfig, decoder: WeightSource, statistics: WeightSource) {
    const pad = config.decoderSpatialPaddingMode;
    const tcond = config.timestepConditioning;
    const owned: Disposable[] = [];
    const own = <T extends Disposable>(m: T): T => (owned.push(m), m);
    try {
      this.perChannelStatistics = own(new PerChannelStatistics(statistics, "", config.latentChannels));
      let c = decoderBottleneckChannels(config);
      this.convIn = own(new CausalConv3d(decoder, "conv_in.", config.latentChannels, c, pad));
      [...config.decoderBlocks].reverse().forEach((b, i) => {
        const p = `up_blocks.${i}.`;
        if (b.name === "res_x") this.upBlocks.push(own(new UNetMidBlock3D(decoder, p, c, b.numLayers, pad, tcond)));
        else if (b.name === "res_x_y") {
          this.upBlocks.push(own(new ResnetBlock3D(decoder, p, c, c / b.multiplier, pad)));
          c /= b.multiplier;
        } else {
          this.upBlocks.push(own(new DepthToSpaceUpsample(decoder, p, c, blockStride(b.name), b.residual, b.multiplier, pad)));
          c /= b.multiplier;
        }
      });
      this.convOut = own(new CausalConv3d(decoder, "conv_out.", c, config.outChannels * config.patchSize ** 2, pad));
      if (tcond) {
        using mult = f32Param(decoder, "timestep_scale_multiplier", []);
        using table = f32Param(decoder, "last_scale_shift_table", [2, c]);
        this.#timestep = {
          multiplier: mult.toFloat32()[0]!,
          lastEmbedder: own(new TimestepEmbedder(decoder, "last_time_embedder.", 2 * c)),
          lastScaleShift: table.toFloat32(),
          channels: c,
        };
      }
    } catch (e) {
      for (const m of owned) m[Symbol.dispose]();
      throw e;
    }
  }

  /** From a checkpoint with `__metadata__.config.vae` and `vae.*` keys. */
  static fromCheckpoint(file: SafetensorsFile): ConvVideoDecoder {
    return new ConvVideoDecoder(vaeConfigOf(file), file.view("vae.decoder."), file.view("vae.per_channel_statistics."));
  }

  /** [F', H', W'] of a latent, after checking it is [B, latent_channels, F', H', W']. */
  checkLatent(latent: Tensor): [number, number, number] {
    const s = latent.shape;
    const c = this.config.latentChannels;
    if (s.length !== 5) throw vaeInputError(`decode needs a latent [B, ${c}, F', H', W'], got [${s.join(",")}]`);
    if (s[1] !== c) throw vaeInputError(`decode needs ${c} latent channels (the VAE's latent_channels), got ${s[1]} (latent [${s.join(",")}])`);
    if (s.slice(2).some((d) => d < 1)) throw vaeInputError(`decode needs a non-empty latent, got [${s.join(",")}]`);
    // PyTorch's reflect padding (and the native conv) needs every padded axis longer than the padding.
    if (this.config.decoderSpatialPaddingMode === "reflect" && (s[3]! < 2 || s[4]! < 2)) {
      throw vaeInputError(`decode with reflect padding needs a latent at least 2x2 (${2 * this.config.scale.height}x${2 * this.config.scale.width} pixels), got ${s[3]}x${s[4]}`);
    }
    return [s[2]!, s[3]!, s[4]!];
  }

  /** Latent [B, C, F', H', W'] → video [B, 3, 8(F'−1)+1, 32H', 32W'] in about [-1, 1] (f32). */
  forward(latent: Tensor, opts: DecodeOptions = {}): Tensor {
    this.checkLatent(latent);
    const batch = latent.shape[0]!;
    const causal = this.config.causalDecoder;
    using f32 = latent.dtype === "f32" ? undefined : latent.cast("f32");
    let x = f32 ?? latent;
    using noisy = this.#timestep ? this.#addNoise(x, opts) : undefined;
    x = noisy ?? x;
    using un = this.perChannelStatistics.unNormalize(x);
    const scaled = this.#timestep ? Array.from({ length: batch }, () => Math.fround(Math.fround(opts.timestep ?? DECODE_TIMESTEP) * this.#timestep!.multiplier)) : undefined;
    let h = this.convIn.forward(un, causal);
    for (const block of this.upBlocks) {
      using prev = h;
      h = block instanceof UNetMidBlock3D ? block.forward(prev, causal, scaled) : block.forward(prev, causal);
    }
    using last = h;
    using normed = pixelNorm(last);
    using mod = this.#timestep ? this.#lastAdaLN(normed, scaled!) : undefined;
    using act = silu(mod ?? normed);
    using out = this.convOut.forward(act, causal);
    return unpatchify(out, this.config.patchSize, 1);
  }

  #addNoise(x: Tensor, opts: DecodeOptions): Tensor {
    using eps = opts.noise ? undefined : Tensor.from(normals(x.numel, opts.seed ?? 0), x.shape);
    const noise = opts.noise ?? eps!;
    if (noise.shape.join(",") !== x.shape.join(",")) throw vaeInputError(`decode noise must have the latent's shape [${x.shape.join(",")}], got [${noise.shape.join(",")}]`);
    // upstream: noise·0.025 + (1 − 0.025)·x, i.e. a lerp from x towards ε by 0.025.
    using n32 = noise.dtype === "f32" ? undefined : noise.cast("f32");
    return lerp(x, n32 ?? noise, DECODE_NOISE_SCALE);
  }

  #lastAdaLN(x: Tensor, scaled: readonly number[]): Tensor {
    const t = this.#timestep!;
    using e = t.lastEmbedder.forward(scaled);
    const [shift, scale] = adaRows(t.lastScaleShift, e.toFloat32(), scaled.length, 2, t.channels);
    return modulateChannels(x, scale!, shift!);
  }

  /**
   * Decoded frames as chunks [f, h, w, 3] in [0, 1] ((x + 1)/2 clamped), batch 1. Without tiling one chunk; with
   * tiling one chunk per temporal group, each yielded as soon as no later tile can change it, so that at most one
   * temporal group of output (plus the overlap carried into the next) is held as floats. The caller disposes
   * each chunk.
   */
  *decodeVideo(latent: Tensor, tiling?: TilingConfig, opts: DecodeOptions = {}, stats?: DecodeStats): Generator<Tensor> {
    const [lf, lh, lw] = this.checkLatent(latent);
    if (latent.shape[0] !== 1) throw vaeInputError(`decodeVideo takes one latent at a time, got batch ${latent.shape[0]}`);
    if (!tiling) {
      using video = this.forward(latent, opts);
      if (stats) stats.tiles = 1;
      yield toRgbFrames(video);
      return;
    }
    yield* this.#tiledDecode(latent, [lf, lh, lw], tiling, opts, stats);
  }

  *#tiledDecode(latent: Tensor, grid: [number, number, number], tiling: TilingConfig, opts: DecodeOptions, stats?: DecodeStats): Generator<Tensor> {
    const { scale, outChannels } = this.config;
    const full: [number, number, number] = [1 + (grid[0] - 1) * scale.time, grid[1] * scale.height, grid[2] * scale.width];
    const tiles = decoderTiles(grid, tiling, scale);
    const pixelBox = (t: Tile) => t.pixel;
    const complementary = masksAreComplementary(tiles, pixelBox, full);
    const groups = groupByTemporal(tiles, pixelBox);
    let carry: { buffer: BlendBuffer; start: number } | undefined;
    let tileIndex = 0;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!;
      const [start, stop] = group[0]!.pixel[0];
      const buffer = new BlendBuffer(outChannels, stop - start, full[1], full[2]);
      if (carry) {
        // The previous group's frames from `start` on overlap this group: they continue in this buffer.
        copyFrames(carry.buffer, start - carry.start, buffer, 0, carry.buffer.frames - (start - carry.start));
        carry = undefined;
      }
      for (const tile of group) {
        using piece = sliceLatent(latent, tile);
        // Timestep-conditioned VAEs: each tile takes its box of the given noise, or its own seeded draw.
        using noiseTile = opts.noise ? sliceLatent(opts.noise, tile) : undefined;
        using decoded = this.forward(piece, { ...opts, noise: noiseTile, seed: (opts.seed ?? 0) + tileIndex });
        tileIndex++;
        const [, c, tf, th, tw] = decoded.shape as [number, number, number, number, number];
        const frames = Math.min(tile.pixel[0][1] - tile.pixel[0][0], tf, buffer.frames - (tile.pixel[0][0] - start));
        const masks: [Float32Array, Float32Array, Float32Array] = [tile.masks[0].length === 1 ? tile.masks[0] : tile.masks[0].subarray(0, frames), tile.masks[1], tile.masks[2]];
        buffer.add(decoded.toFloat32(), [c, tf, th, tw], [tile.pixel[0][0] - start, tile.pixel[1][0], tile.pixel[2][0]], masks, frames);
      }
      if (stats) {
        stats.tiles = tileIndex;
        stats.peakBufferBytes = Math.max(stats.peakBufferBytes, buffer.bytes);
      }
      const next = groups[g + 1]?.[0]!.pixel[0][0];
      const final = next === undefined ? buffer.frames : next - start;
      if (final > 0) yield rgbFromBuffer(buffer, 0, final, complementary);
      if (next !== undefined) carry = { buffer, start };
    }
  }

  dispose(): void {
    this.perChannelStatistics.dispose();
    this.convIn.dispose();
    for (const b of this.upBlocks) b.dispose();
    this.convOut.dispose();
    this.#timestep?.lastEmbedder.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The latent box of a tile (a copy: narrows on inner axes are strided). */
function sliceLatent(latent: Tensor, tile: Tile): Tensor {
  const [[t0, t1], [y0, y1], [x0, x1]] = tile.latent;
  using a = narrow(latent, 2, t0, t1 - t0);
  using b = narrow(a, 3, y0, y1 - y0);
  return narrow(b, 4, x0, x1 - x0);
}

function copyFrames(src: BlendBuffer, from: number, dst: BlendBuffer, to: number, count: number): void {
  const plane = src.height * src.width;
  for (let c = 0; c < src.channels; c++) {
    dst.data.set(src.data.subarray((c * src.frames + from) * plane, (c * src.frames + from + count) * plane), (c * dst.frames + to) * plane);
  }
  dst.weights.set(src.weights.subarray(from * plane, (from + count) * plane), to * plane);
}

/** Frames [from, to) of a blend buffer as [f, h, w, C] in [0, 1], divided by the weights unless they sum to 1. */
function rgbFromBuffer(buf: BlendBuffer, from: number, to: number, complementary: boolean): Tensor {
  const plane = buf.height * buf.width, c = buf.channels, n = to - from;
  const out = new Float32Array(n * plane * c);
  for (let t = 0; t < n; t++) {
    for (let p = 0; p < plane; p++) {
      const pos = (from + t) * plane + p;
      const w = complementary ? 1 : Math.max(buf.weights[pos]!, 1e-8);
      for (let ch = 0; ch < c; ch++) {
        const v = complementary ? buf.data[ch * buf.frames * plane + pos]! : Math.fround(buf.data[ch * buf.frames * plane + pos]! / w);
        out[(t * plane + p) * c + ch] = Math.min(1, Math.max(0, Math.fround(Math.fround(v + 1) * 0.5)));
      }
    }
  }
  return Tensor.from(out, [n, buf.height, buf.width, c]);
}

/** upstream decode_video's to_rgb: "c f h w -> f h w c" of batch item 0, then (x + 1)·0.5 clamped to [0, 1]. */
export function toRgbFrames(video: Tensor): Tensor {
  using first = narrow(video, 0, 0, 1);
  const [, c, f, h, w] = first.shape as [number, number, number, number, number];
  using flat = permute(first, [0, 2, 3, 4, 1]);
  const v = flat.toFloat32();
  for (let i = 0; i < v.length; i++) v[i] = Math.min(1, Math.max(0, Math.fround(Math.fround(v[i]! + 1) * 0.5)));
  return Tensor.from(v, [f, h, w, c]);
}
