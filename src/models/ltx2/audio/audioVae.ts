// Audio VAE encoder and decoder (upstream `model/audio_vae/audio_vae.py`): log-mel [B, 2, T, 64] ↔ latent
// [B, 8, T/4, 16]. Weights from `audio_vae.{encoder,decoder,per_channel_statistics}.*`; compute is f32 (upstream
// runs bf16; the f32 result is the more accurate one and is what the tests bound).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { silu } from "../../../runtime/activation.js";
import { pixelNorm } from "../../../runtime/norm.js";
import { narrow } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { AUDIO_PIXEL_NORM_EPS, CausalConv2d, Downsample, padZeros, ResnetBlock, Upsample } from "./audioVaeLayers.js";
import { type AudioVaeConfig, LATENT_DOWNSAMPLE_FACTOR } from "./config.js";
import { PerChannelStatistics } from "./ops.js";

function badInput(op: string, problem: string): AiprodError {
  return new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.audio.${op}: ${problem}`);
}

function asF32(x: Tensor): Tensor {
  return x.dtype === "f32" ? narrow(x, 0, 0, x.shape[0]!) : x.cast("f32");
}

/** Two ResnetBlocks (attention is off in released configs: `mid_block_add_attention: false`). */
class MidBlock implements Disposable {
  readonly block1: ResnetBlock;
  readonly block2: ResnetBlock;
  constructor(src: WeightSource, prefix: string, channels: number) {
    this.block1 = new ResnetBlock(src, `${prefix}.block_1`, channels, channels);
    this.block2 = new ResnetBlock(src, `${prefix}.block_2`, channels, channels);
  }

  forward(x: Tensor): Tensor {
    using h = this.block1.forward(x);
    return this.block2.forward(h);
  }

  [Symbol.dispose](): void {
    this.block1[Symbol.dispose]();
    this.block2[Symbol.dispose]();
  }
}

/** Runs blocks in order, disposing each intermediate. */
function chain(x: Tensor, steps: readonly { forward(x: Tensor): Tensor }[], onStep?: (i: number) => void): Tensor {
  let h = x;
  for (const [i, s] of steps.entries()) {
    const next = s.forward(h);
    if (h !== x) h.dispose();
    h = next;
    onStep?.(i + 1);
  }
  return h === x ? narrow(x, 0, 0, x.shape[0]!) : h;
}

export class AudioDecoder implements Disposable {
  readonly stats: PerChannelStatistics;
  readonly convIn: CausalConv2d;
  readonly mid: MidBlock;
  /** Upsampling path in execution order (deepest level first): blocks, then the level's Upsample. */
  readonly steps: (ResnetBlock | Upsample)[] = [];
  readonly convOut: CausalConv2d;

  constructor(checkpoint: WeightSource, readonly config: AudioVaeConfig) {
    const src = checkpoint.view("audio_vae.decoder.");
    const { ch, chMult, numResBlocks, zChannels, outCh } = config;
    const levels = chMult.length;
    this.stats = new PerChannelStatistics(checkpoint.view("audio_vae.per_channel_statistics."), ch, zChannels, config.latentMelBins);
    const base = ch * chMult[levels - 1]!;
    this.convIn = new CausalConv2d(src, "conv_in", zChannels, base, 3);
    this.mid = new MidBlock(src, "mid", base);
    let cin = base;
    for (let level = levels - 1; level >= 0; level--) {
      const cout = ch * chMult[level]!;
      for (let i = 0; i <= numResBlocks; i++) {
        this.steps.push(new ResnetBlock(src, `up.${level}.block.${i}`, cin, cout));
        cin = cout;
      }
      if (level !== 0) this.steps.push(new Upsample(src, `up.${level}.upsample`, cin));
    }
    this.convOut = new CausalConv2d(src, "conv_out", cin, outCh, 3);
  }

  /** Mel frames decoded from `latentFrames` latent frames: 4·T − 3 (causal), at least 1. */
  static melFrames(latentFrames: number): number {
    return Math.max(latentFrames * LATENT_DOWNSAMPLE_FACTOR - (LATENT_DOWNSAMPLE_FACTOR - 1), 1);
  }

  /** Progress points decode() reports through its onStep callback (after the middle block and each up step). */
  get progressSteps(): number {
    return 1 + this.steps.length;
  }

  /** latent [B, z, T, F] (f32 or bf16) → log-mel [B, out_ch, 4T−3, mel_bins] f32; onStep(i) as it goes. */
  decode(latent: Tensor, onStep?: (i: number) => void): Tensor {
    const { zChannels, latentMelBins, outCh, melBins } = this.config;
    const s = latent.shape;
    if (s.length !== 4 || s[1] !== zChannels || s[3] !== latentMelBins || s[0]! < 1 || s[2]! < 1) {
      throw badInput("AudioDecoder.decode", `latent must be [B, ${zChannels}, T, ${latentMelBins}], got [${s.join(",")}]`);
    }
    using x = asF32(latent);
    using z = this.stats.unNormalize(x);
    using h0 = this.convIn.forward(z);
    using h1 = this.mid.forward(h0);
    onStep?.(1);
    using h2 = chain(h1, this.steps, onStep && ((i) => onStep(1 + i)));
    using n = pixelNorm(h2, { eps: AUDIO_PIXEL_NORM_EPS });
    using a = silu(n);
    using out = this.convOut.forward(a);
    return fitMel(out, outCh, AudioDecoder.melFrames(s[2]!), melBins);
  }

  [Symbol.dispose](): void {
    this.stats[Symbol.dispose]();
    this.convIn[Symbol.dispose]();
    this.mid[Symbol.dispose]();
    for (const s of this.steps) s[Symbol.dispose]();
    this.convOut[Symbol.dispose]();
  }
}

/** `_adjust_output_shape`: crop channels/time/freq to the target, then zero-pad time/freq up to it. */
function fitMel(x: Tensor, channels: number, frames: number, bins: number): Tensor {
  const [, c, t, f] = x.shape as [number, number, number, number];
  using cc = narrow(x, 1, 0, Math.min(c, channels));
  using ct = narrow(cc, 2, 0, Math.min(t, frames));
  using cf = narrow(ct, 3, 0, Math.min(f, bins));
  using pt = padZeros(cf, 2, 0, Math.max(frames - t, 0));
  return padZeros(pt, 3, 0, Math.max(bins - f, 0));
}

export class AudioEncoder implements Disposable {
  readonly stats: PerChannelStatistics;
  readonly convIn: CausalConv2d;
  readonly steps: (ResnetBlock | Downsample)[] = [];
  readonly mid: MidBlock;
  readonly convOut: CausalConv2d;

  constructor(checkpoint: WeightSource, readonly config: AudioVaeConfig) {
    const src = checkpoint.view("audio_vae.encoder.");
    const { ch, chMult, numResBlocks, zChannels, inChannels, doubleZ } = config;
    this.stats = new PerChannelStatistics(checkpoint.view("audio_vae.per_channel_statistics."), ch, zChannels, config.latentMelBins);
    this.convIn = new CausalConv2d(src, "conv_in", inChannels, ch, 3);
    let cin = ch;
    chMult.forEach((mult, level) => {
      const cout = ch * mult;
      for (let i = 0; i < numResBlocks; i++) {
        this.steps.push(new ResnetBlock(src, `down.${level}.block.${i}`, cin, cout));
        cin = cout;
      }
      if (level !== chMult.length - 1) this.steps.push(new Downsample(src, `down.${level}.downsample`, cin));
    });
    this.mid = new MidBlock(src, "mid", cin);
    this.convOut = new CausalConv2d(src, "conv_out", cin, doubleZ ? 2 * zChannels : zChannels, 3);
  }

  /** log-mel [B, in_channels, T, mel_bins] → normalized latent means [B, z, ⌈T/4⌉, mel_bins/4] f32 (each stride-2 causal conv maps T to ⌈T/2⌉). */
  encode(mel: Tensor): Tensor {
    const { inChannels, melBins, zChannels } = this.config;
    const s = mel.shape;
    if (s.length !== 4 || s[1] !== inChannels || s[3] !== melBins || s[0]! < 1 || s[2]! < 1) {
      throw badInput("AudioEncoder.encode", `mel must be [B, ${inChannels}, T, ${melBins}], got [${s.join(",")}]`);
    }
    using x = asF32(mel);
    using h0 = this.convIn.forward(x);
    using h1 = chain(h0, this.steps);
    using h2 = this.mid.forward(h1);
    using n = pixelNorm(h2, { eps: AUDIO_PIXEL_NORM_EPS });
    using a = silu(n);
    using out = this.convOut.forward(a);
    // double_z: the first z channels are the means; the log-variances are not used for encoding.
    using means = narrow(out, 1, 0, zChannels);
    return this.stats.normalize(means);
  }

  [Symbol.dispose](): void {
    this.stats[Symbol.dispose]();
    this.convIn[Symbol.dispose]();
    for (const s of this.steps) s[Symbol.dispose]();
    this.mid[Symbol.dispose]();
    this.convOut[Symbol.dispose]();
  }
}
