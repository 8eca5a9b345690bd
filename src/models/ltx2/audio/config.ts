// Parsed and validated `config.audio_vae` / `config.vocoder` of an LTX-2 checkpoint (upstream
// `model/audio_vae/model_configurator.py`). Upstream fills absent keys with constructor defaults; we take the
// same defaults, but refuse values upstream would build into something this engine does not implement
// (attention blocks, GroupNorm, other causality axes, BigVGAN/BWE vocoders) instead of silently diverging.
import { AiprodError } from "../../../native/errors.js";

/** Time-axis downsampling of the audio VAE, hard-coded upstream (`LATENT_DOWNSAMPLE_FACTOR`). */
export const LATENT_DOWNSAMPLE_FACTOR = 4;

export interface AudioVaeConfig {
  /** Base channel count; also the length of the per-channel statistics vectors (upstream quirk). */
  ch: number;
  chMult: number[];
  numResBlocks: number;
  /** Latent channels (8 in the released models). */
  zChannels: number;
  doubleZ: boolean;
  inChannels: number;
  outCh: number;
  /** Mel bins of the spectrogram (64). */
  melBins: number;
  /** Frequency bins of the latent: melBins / 2^(levels-1) (16). */
  latentMelBins: number;
  sampleRate: number;
  hopLength: number;
  nFft: number;
  isCausal: boolean;
}

export interface VocoderConfig {
  upsampleInitialChannel: number;
  upsampleRates: number[];
  upsampleKernelSizes: number[];
  resblockKernelSizes: number[];
  resblockDilationSizes: number[][];
  outputSamplingRate: number;
  useTanhAtFinal: boolean;
  useBiasAtFinal: boolean;
}

// The keys of ddconfig seen in released checkpoints and read by upstream; anything else is a config this
// engine was not written against.
const DDCONFIG_KEYS = new Set([
  "double_z", "mel_bins", "z_channels", "resolution", "downsample_time", "in_channels", "out_ch", "ch", "ch_mult",
  "num_res_blocks", "attn_resolutions", "dropout", "mid_block_add_attention", "norm_type", "causality_axis",
  "attn_type", "resamp_with_conv",
]);

function bad(path: string, problem: string): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.ltx2.audio: config '${path}' ${problem}`);
}

type Obj = Record<string, unknown>;

function obj(v: unknown, path: string): Obj {
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(path, "must be an object");
  return v as Obj;
}

function int(o: Obj, key: string, path: string, def: number, min = 1): number {
  const v = o[key] ?? def;
  if (!Number.isSafeInteger(v) || (v as number) < min) throw bad(`${path}.${key}`, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v as number;
}

function bool(o: Obj, key: string, path: string, def: boolean): boolean {
  const v = o[key] ?? def;
  if (typeof v !== "boolean") throw bad(`${path}.${key}`, `must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function ints(o: Obj, key: string, path: string, def: number[]): number[] {
  const v = o[key] ?? def;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isSafeInteger(x) && x >= 1)) {
    throw bad(`${path}.${key}`, `must be a non-empty list of positive integers, got ${JSON.stringify(v)}`);
  }
  return [...v] as number[];
}

function expect(o: Obj, key: string, path: string, def: unknown, want: unknown, why: string): void {
  const v = o[key] ?? def;
  if (JSON.stringify(v) !== JSON.stringify(want)) throw bad(`${path}.${key}`, `is ${JSON.stringify(v)}; only ${JSON.stringify(want)} is supported (${why})`);
}

/** `config.audio_vae` → AudioVaeConfig (throws ERR_AIPROD_BAD_CONFIG naming the offending key). */
export function parseAudioVaeConfig(raw: unknown): AudioVaeConfig {
  const root = "audio_vae";
  const cfg = obj(raw, root);
  if (raw === undefined) throw bad(root, "is missing from the checkpoint metadata");
  const params = obj(obj(cfg.model, `${root}.model`).params, `${root}.model.params`);
  const ddPath = `${root}.model.params.ddconfig`;
  const dd = obj(params.ddconfig, ddPath);
  for (const k of Object.keys(dd)) if (!DDCONFIG_KEYS.has(k)) throw bad(`${ddPath}.${k}`, "is an unknown key");
  const pre = obj(cfg.preprocessing, `${root}.preprocessing`);
  const stft = obj(pre.stft, `${root}.preprocessing.stft`);
  const mel = obj(pre.mel, `${root}.preprocessing.mel`);
  const variables = obj(cfg.variables, `${root}.variables`);

  expect(dd, "norm_type", ddPath, "pixel", "pixel", "GroupNorm audio VAEs are not released");
  expect(dd, "causality_axis", ddPath, "height", "height", "released audio VAEs are causal along time");
  // Upstream's defaults turn attention on when these keys are absent; released configs turn it off.
  expect(dd, "mid_block_add_attention", ddPath, true, false, "attention blocks are not implemented");
  const attn = dd.attn_resolutions ?? [8, 16, 32];
  if (!Array.isArray(attn) || attn.length !== 0) throw bad(`${ddPath}.attn_resolutions`, `is ${JSON.stringify(attn)}; only [] is supported (attention blocks are not implemented)`);
  expect(dd, "resamp_with_conv", ddPath, true, true, "released audio VAEs resample with convolutions");
  expect(dd, "downsample_time", ddPath, false, false, "time is downsampled only by the level convolutions");
  expect(dd, "dropout", ddPath, 0, 0, "inference has no dropout");
  expect(dd, "attn_type", ddPath, "vanilla", "vanilla", "no other attention type is built upstream");

  const ch = int(dd, "ch", ddPath, 128);
  const chMult = ints(dd, "ch_mult", ddPath, [1, 2, 4]);
  const levels = chMult.length;
  // The decoder's output length 4·T−3 and the latent rate of 25/s assume exactly two ×2 time resamplings.
  if (2 ** (levels - 1) !== LATENT_DOWNSAMPLE_FACTOR) throw bad(`${ddPath}.ch_mult`, `has ${levels} levels; the audio VAE's fixed latent downsample factor 4 needs 3`);
  const melRaw = dd.mel_bins ?? mel.n_mel_channels ?? variables.mel_bins;
  if (!Number.isSafeInteger(melRaw) || (melRaw as number) < 1) throw bad(`${ddPath}.mel_bins`, `must be a positive integer, got ${JSON.stringify(melRaw)}`);
  const melBins = melRaw as number;
  if (melBins % 2 ** (levels - 1) !== 0) throw bad(`${ddPath}.mel_bins`, `(${melBins}) must be divisible by ${2 ** (levels - 1)}`);
  const zChannels = int(dd, "z_channels", ddPath, 8);
  const latentMelBins = melBins / 2 ** (levels - 1);
  // Upstream sizes PerChannelStatistics by `ch` but applies it to the patchified (z·latent_mel)-vector.
  if (ch !== zChannels * latentMelBins) {
    throw bad(`${ddPath}.ch`, `(${ch}) must equal z_channels·mel_bins/${2 ** (levels - 1)} = ${zChannels * latentMelBins}: the per-channel statistics (sized by ch) normalize the patchified latent`);
  }
  const sampleRate = int(params, "sampling_rate", `${root}.model.params`, 16000);
  const hopLength = int(stft, "hop_length", `${root}.preprocessing.stft`, 160);
  const nFft = int(stft, "filter_length", `${root}.preprocessing.stft`, 1024);
  const isCausal = bool(stft, "causal", `${root}.preprocessing.stft`, true);
  return {
    ch, chMult, numResBlocks: int(dd, "num_res_blocks", ddPath, 2), zChannels, doubleZ: bool(dd, "double_z", ddPath, true),
    inChannels: int(dd, "in_channels", ddPath, 2), outCh: int(dd, "out_ch", ddPath, 2), melBins, latentMelBins,
    sampleRate, hopLength, nFft, isCausal,
  };
}

/** `config.vocoder` (LTX-2.0 HiFi-GAN) → VocoderConfig. */
export function parseVocoderConfig(raw: unknown): VocoderConfig {
  const p = "vocoder";
  if (raw === undefined) throw bad(p, "is missing from the checkpoint metadata");
  const cfg = obj(raw, p);
  if ("bwe" in cfg) throw bad(`${p}.bwe`, "is present: the LTX-2.3 BigVGAN-v2 + bandwidth-extension vocoder is not implemented");
  // Both are required (no default) upstream too (`check_config_value`).
  expect(cfg, "resblock", p, undefined, "1", "only the LTX-2.0 HiFi-GAN resblock '1' is implemented");
  expect(cfg, "stereo", p, undefined, true, "upstream requires a stereo vocoder");
  const upsampleRates = ints(cfg, "upsample_rates", p, [6, 5, 2, 2, 2]);
  const upsampleKernelSizes = ints(cfg, "upsample_kernel_sizes", p, [16, 15, 8, 4, 4]);
  if (upsampleKernelSizes.length !== upsampleRates.length) throw bad(`${p}.upsample_kernel_sizes`, `has ${upsampleKernelSizes.length} entries, upsample_rates ${upsampleRates.length}`);
  upsampleKernelSizes.forEach((k, i) => {
    if (k < upsampleRates[i]!) throw bad(`${p}.upsample_kernel_sizes`, `[${i}] = ${k} is smaller than its rate ${upsampleRates[i]}`);
  });
  const resblockKernelSizes = ints(cfg, "resblock_kernel_sizes", p, [3, 7, 11]);
  const dil = cfg.resblock_dilation_sizes ?? [[1, 3, 5], [1, 3, 5], [1, 3, 5]];
  if (!Array.isArray(dil) || dil.length !== resblockKernelSizes.length ||
    !dil.every((d) => Array.isArray(d) && d.length === 3 && d.every((x) => Number.isSafeInteger(x) && x >= 1))) {
    throw bad(`${p}.resblock_dilation_sizes`, `must be ${resblockKernelSizes.length} triples of positive integers (ResBlock1), got ${JSON.stringify(dil)}`);
  }
  // padding="same" with an even kernel would need asymmetric padding; released kernels are odd.
  resblockKernelSizes.forEach((k, i) => {
    if (k % 2 === 0) throw bad(`${p}.resblock_kernel_sizes`, `[${i}] = ${k} is even; only odd kernels are supported`);
  });
  const upsampleInitialChannel = int(cfg, "upsample_initial_channel", p, 1024);
  if (upsampleInitialChannel % 2 ** upsampleRates.length !== 0) {
    throw bad(`${p}.upsample_initial_channel`, `(${upsampleInitialChannel}) must be divisible by 2^${upsampleRates.length}`);
  }
  return {
    upsampleInitialChannel, upsampleRates, upsampleKernelSizes, resblockKernelSizes,
    resblockDilationSizes: (dil as number[][]).map((d) => [...d]),
    outputSamplingRate: int(cfg, "output_sampling_rate", p, 24000),
    useTanhAtFinal: bool(cfg, "use_tanh_at_final", p, true),
    useBiasAtFinal: bool(cfg, "use_bias_at_final", p, true),
  };
}
