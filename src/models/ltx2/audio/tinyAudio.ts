// Tiny audio VAE + vocoder checkpoints for tests: the released `config.audio_vae` / `config.vocoder` schema and
// key names with small channel counts, and seeded random bf16 weights (deterministic on every platform).
import { writeSafetensors, type TensorEntry } from "../../../checkpoint/safetensorsWriter.js";
import { GaussianGenerator } from "../components/noisers.js";
import { parseAudioVaeConfig, parseVocoderConfig } from "./config.js";
import { VOCODER_IN_CHANNELS } from "./vocoder.js";

export interface TinyAudioConfigs {
  /** Exactly what goes under `config.audio_vae`. */
  audio_vae: Record<string, unknown>;
  /** Exactly what goes under `config.vocoder`. */
  vocoder: Record<string, unknown>;
}

export interface TinyAudioOptions {
  /**
   * Latent channels (released: 8). The audio token width of the transformer is zChannels·16, and upstream sizes
   * the latent statistics by `ch`, so ch = zChannels·16 (default 2 → ch 32, channels 32/64/128).
   */
  zChannels?: number;
  numResBlocks?: number;
  /** Vocoder width before the first upsampling (released: 1024); halves at each of the 5 stages. */
  upsampleInitialChannel?: number;
}

/** Released structure (3 levels, 64 mel bins, rates 6·5·2·2·2, kernels 3/7/11), small widths. */
export function tinyAudioConfigs(opts: TinyAudioOptions = {}): TinyAudioConfigs {
  const z = opts.zChannels ?? 2;
  return {
    audio_vae: {
      model: {
        params: {
          ddconfig: {
            double_z: true, mel_bins: 64, z_channels: z, resolution: 256, downsample_time: false, in_channels: 2,
            out_ch: 2, ch: z * 16, ch_mult: [1, 2, 4], num_res_blocks: opts.numResBlocks ?? 1, attn_resolutions: [],
            dropout: 0.0, mid_block_add_attention: false, norm_type: "pixel", causality_axis: "height",
          },
          sampling_rate: 16000,
        },
      },
      preprocessing: {
        stft: { filter_length: 1024, hop_length: 160, win_length: 1024, causal: true },
        mel: { n_mel_channels: 64, mel_fmin: 0, mel_fmax: 8000 },
      },
    },
    vocoder: {
      upsample_initial_channel: opts.upsampleInitialChannel ?? 64, resblock: "1", upsample_rates: [6, 5, 2, 2, 2],
      upsample_kernel_sizes: [16, 15, 8, 4, 4], resblock_kernel_sizes: [3, 7, 11],
      resblock_dilation_sizes: [[1, 3, 5], [1, 3, 5], [1, 3, 5]], stereo: true, output_sampling_rate: 24000,
    },
  };
}

/** How a weight is drawn: N(0, std²), or a positive statistics vector. */
interface Spec {
  shape: number[];
  std: number;
  positive?: boolean;
}

function conv(specs: Map<string, Spec>, prefix: string, weightShape: number[], fanIn: number, bias = true): void {
  // 1/√fan_in keeps activations O(1) through the stack, so tiny outputs are neither zero nor saturated.
  specs.set(`${prefix}.weight`, { shape: weightShape, std: 1 / Math.sqrt(fanIn) });
  if (bias) specs.set(`${prefix}.bias`, { shape: [weightShape[0]!], std: 0.05 });
}

function resnet(specs: Map<string, Spec>, prefix: string, cin: number, cout: number): void {
  conv(specs, `${prefix}.conv1.conv`, [cout, cin, 3, 3], cin * 9);
  conv(specs, `${prefix}.conv2.conv`, [cout, cout, 3, 3], cout * 9);
  if (cin !== cout) conv(specs, `${prefix}.nin_shortcut.conv`, [cout, cin, 1, 1], cin);
}

/** Every `audio_vae.*` / `vocoder.*` key of a config pair, with its shape, in module order. */
function audioSpecs(configs: TinyAudioConfigs): Map<string, Spec> {
  const a = parseAudioVaeConfig(configs.audio_vae);
  const v = parseVocoderConfig(configs.vocoder);
  const specs = new Map<string, Spec>();
  const levels = a.chMult.length;
  // Encoder.
  const e = "audio_vae.encoder";
  conv(specs, `${e}.conv_in.conv`, [a.ch, a.inChannels, 3, 3], a.inChannels * 9);
  let c = a.ch;
  a.chMult.forEach((m, level) => {
    for (let i = 0; i < a.numResBlocks; i++) {
      resnet(specs, `${e}.down.${level}.block.${i}`, c, a.ch * m);
      c = a.ch * m;
    }
    if (level !== levels - 1) conv(specs, `${e}.down.${level}.downsample.conv`, [c, c, 3, 3], c * 9);
  });
  resnet(specs, `${e}.mid.block_1`, c, c);
  resnet(specs, `${e}.mid.block_2`, c, c);
  conv(specs, `${e}.conv_out.conv`, [a.doubleZ ? 2 * a.zChannels : a.zChannels, c, 3, 3], c * 9);
  // Decoder.
  const d = "audio_vae.decoder";
  c = a.ch * a.chMult[levels - 1]!;
  conv(specs, `${d}.conv_in.conv`, [c, a.zChannels, 3, 3], a.zChannels * 9);
  resnet(specs, `${d}.mid.block_1`, c, c);
  resnet(specs, `${d}.mid.block_2`, c, c);
  for (let level = levels - 1; level >= 0; level--) {
    for (let i = 0; i <= a.numResBlocks; i++) {
      resnet(specs, `${d}.up.${level}.block.${i}`, c, a.ch * a.chMult[level]!);
      c = a.ch * a.chMult[level]!;
    }
    if (level !== 0) conv(specs, `${d}.up.${level}.upsample.conv.conv`, [c, c, 3, 3], c * 9);
  }
  conv(specs, `${d}.conv_out.conv`, [a.outCh, c, 3, 3], c * 9);
  specs.set("audio_vae.per_channel_statistics.std-of-means", { shape: [a.ch], std: 0.5, positive: true });
  specs.set("audio_vae.per_channel_statistics.mean-of-means", { shape: [a.ch], std: 0.2 });
  // Vocoder.
  c = v.upsampleInitialChannel;
  conv(specs, "vocoder.conv_pre", [c, VOCODER_IN_CHANNELS, 7], VOCODER_IN_CHANNELS * 7);
  const nk = v.resblockKernelSizes.length;
  v.upsampleRates.forEach((rate, i) => {
    const k = v.upsampleKernelSizes[i]!;
    conv(specs, `vocoder.ups.${i}`, [c, c / 2, k], (c * k) / rate);
    // ConvTranspose1d's bias has Cout entries, not weight.shape[0] = Cin.
    specs.set(`vocoder.ups.${i}.bias`, { shape: [c / 2], std: 0.05 });
    c /= 2;
    v.resblockKernelSizes.forEach((rk, j) => {
      for (let n = 0; n < 3; n++) {
        conv(specs, `vocoder.resblocks.${i * nk + j}.convs1.${n}`, [c, c, rk], c * rk);
        conv(specs, `vocoder.resblocks.${i * nk + j}.convs2.${n}`, [c, c, rk], c * rk);
      }
    });
  });
  conv(specs, "vocoder.conv_post", [2, c, 7], c * 7, v.useBiasAtFinal);
  return specs;
}

const f32Buf = new Float32Array(1);
const u32Buf = new Uint32Array(f32Buf.buffer);

/** bf16 bits of a finite number, rounded to nearest even. */
function bf16Bits(x: number): number {
  f32Buf[0] = x;
  const u = u32Buf[0]!;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Seeded random bf16 weights for every audio key of `configs` (same seed, same bits). */
export function tinyAudioWeights(configs: TinyAudioConfigs, seed: number): Map<string, TensorEntry> {
  const g = new GaussianGenerator(seed);
  const out = new Map<string, TensorEntry>();
  for (const [key, s] of audioSpecs(configs)) {
    const n = s.shape.reduce((p, q) => p * q, 1);
    const z = g.normal(n);
    const bits = new Uint16Array(n);
    for (let i = 0; i < n; i++) bits[i] = bf16Bits(s.positive ? 1 + s.std * Math.tanh(z[i]!) : s.std * z[i]!);
    out.set(key, { dtype: "bf16", shape: s.shape, data: bits });
  }
  return out;
}

/** Writes a standalone audio-only checkpoint (weights + `config` metadata) to `path`, atomically. */
export function writeTinyAudioCheckpoint(path: string, opts: TinyAudioOptions & { seed?: number } = {}): TinyAudioConfigs {
  const configs = tinyAudioConfigs(opts);
  writeSafetensors(path, tinyAudioWeights(configs, opts.seed ?? 0), { config: JSON.stringify(configs) });
  return configs;
}

/** The audio part of a tiny LTX-2 checkpoint, in the shape `writeTinyLtx2Checkpoint`'s `extra` takes. */
export function tinyAudioExtra(opts: TinyAudioOptions & { seed?: number } = {}): {
  entries: Map<string, TensorEntry>;
  config: Record<string, unknown>;
} {
  const configs = tinyAudioConfigs(opts);
  return { entries: tinyAudioWeights(configs, opts.seed ?? 0), config: { ...configs } };
}
