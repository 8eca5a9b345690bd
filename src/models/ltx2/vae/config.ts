// The video VAE's configuration, parsed from a checkpoint's `__metadata__.config.vae` (upstream
// `video_vae/model_configurator.py`, flat `CausalVideoAutoencoder` layout). Defaults are upstream's, so a
// config that relies on one builds the same model as upstream does; what upstream would silently build wrong
// (an unknown block, channels that do not divide, encoder and decoder with different compression) fails here
// with the key named.
import { AiprodError } from "../../../native/errors.js";
import type { PadMode } from "../../../runtime/conv.js";

export type EncoderBlockName =
  | "res_x" | "res_x_y" | "compress_time" | "compress_space" | "compress_all" | "compress_all_x_y"
  | "compress_time_res" | "compress_space_res" | "compress_all_res";
export type DecoderBlockName = "res_x" | "res_x_y" | "compress_time" | "compress_space" | "compress_all";
export type LatentLogVar = "per_channel" | "uniform" | "constant" | "none";

const ENCODER_BLOCKS: readonly string[] = [
  "res_x", "res_x_y", "compress_time", "compress_space", "compress_all", "compress_all_x_y",
  "compress_time_res", "compress_space_res", "compress_all_res",
];
const DECODER_BLOCKS: readonly string[] = ["res_x", "res_x_y", "compress_time", "compress_space", "compress_all"];
/** Blocks upstream knows that this engine does not build (no LTX-2 checkpoint uses them). */
const UNSUPPORTED_BLOCKS: readonly string[] = ["attn", "attn_res_x"];
const PAD_MODES: readonly string[] = ["zeros", "reflect", "replicate"];
const LOG_VARS: readonly string[] = ["per_channel", "uniform", "constant", "none"];

export interface VaeBlock<N extends string = string> {
  readonly name: N;
  /** res_x: number of ResnetBlock3D. */
  readonly numLayers: number;
  /** Channel multiplier (encoder) or reduction (decoder); upstream's per-block default already applied. */
  readonly multiplier: number;
  /** Decoder compress_all: add the depth-to-space of the input. */
  readonly residual: boolean;
}

export interface ScaleFactors {
  readonly time: number;
  readonly height: number;
  readonly width: number;
}

export interface VideoVaeConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly latentChannels: number;
  readonly patchSize: number;
  readonly latentLogVar: LatentLogVar;
  readonly encoderBlocks: readonly VaeBlock<EncoderBlockName>[];
  readonly decoderBlocks: readonly VaeBlock<DecoderBlockName>[];
  readonly encoderSpatialPaddingMode: PadMode;
  readonly decoderSpatialPaddingMode: PadMode;
  readonly causalDecoder: boolean;
  readonly timestepConditioning: boolean;
  readonly decoderBaseChannels: number;
  /** Pixel frames / rows / columns per latent one (8, 32, 32 for LTX-2), from the block lists. */
  readonly scale: ScaleFactors;
}

export function configError(key: string, problem: string): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.ltx2.vae: config.vae.${key} ${problem}`);
}

function positiveInt(value: unknown, key: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw configError(key, `must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

function optional<T>(raw: Record<string, unknown>, key: string, fallback: T, check: (v: unknown, key: string) => T): T {
  return raw[key] === undefined ? fallback : check(raw[key], key);
}

function bool(value: unknown, key: string): boolean {
  if (typeof value !== "boolean") throw configError(key, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function oneOf(allowed: readonly string[]) {
  return (value: unknown, key: string): string => {
    if (typeof value !== "string" || !allowed.includes(value)) {
      throw configError(key, `is ${JSON.stringify(value)}; expected one of ${allowed.join(", ")}`);
    }
    return value;
  };
}

function parseBlocks<N extends string>(raw: unknown, key: string, allowed: readonly string[], encoder: boolean): VaeBlock<N>[] {
  if (!Array.isArray(raw)) throw configError(key, raw === undefined ? "is missing" : "must be a list of [name, params] pairs");
  return raw.map((entry, i) => {
    const at = `${key}[${i}]`;
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string") throw configError(at, "must be a [name, params] pair");
    const name = entry[0] as string;
    if (UNSUPPORTED_BLOCKS.includes(name)) throw configError(at, `is block '${name}', which this engine does not implement`);
    if (!allowed.includes(name)) throw configError(at, `is unknown block '${name}'; expected one of ${allowed.join(", ")}`);
    // Upstream: an int is num_layers; otherwise a dict of named parameters.
    const params: Record<string, unknown> = typeof entry[1] === "number" ? { num_layers: entry[1] } : (entry[1] as Record<string, unknown>);
    if (typeof params !== "object" || params === null || Array.isArray(params)) throw configError(`${at}[1]`, "must be a number or an object");
    if (params.inject_noise === true) throw configError(`${at}[1].inject_noise`, "is true; noise injection (LTX-Video 0.9.1) is not implemented");
    const numLayers = name === "res_x" ? positiveInt(params.num_layers, `${at}[1].num_layers`) : 0;
    // Upstream defaults: encoder growth blocks double; decoder res_x_y halves; decoder compress_* keep channels.
    const defaultMultiplier = encoder || name === "res_x_y" ? 2 : 1;
    const growing = encoder ? ["res_x_y", "compress_all_x_y", "compress_time_res", "compress_space_res", "compress_all_res"] : ["res_x_y", "compress_time", "compress_space", "compress_all"];
    const multiplier = growing.includes(name) ? optional(params, "multiplier", defaultMultiplier, (v) => positiveInt(v, `${at}[1].multiplier`)) : 1;
    const residual = !encoder && name === "compress_all" ? optional(params, "residual", false, (v) => bool(v, `${at}[1].residual`)) : false;
    return { name: name as N, numLayers, multiplier, residual };
  });
}

/** upstream SpatioTemporalScaleFactors.from_blocks: each compress_* block is a stride of 2 on its axes. */
export function scaleFactorsFromBlocks(blocks: readonly VaeBlock[], patchSize: number): ScaleFactors {
  let spatial = 0, temporal = 0;
  for (const b of blocks) {
    if (b.name.startsWith("compress_space") || b.name.startsWith("compress_all")) spatial++;
    if (b.name.startsWith("compress_time") || b.name.startsWith("compress_all")) temporal++;
  }
  return { time: 2 ** temporal, height: patchSize * 2 ** spatial, width: patchSize * 2 ** spatial };
}

/** [t, h, w] stride of a compress_* block. */
export function blockStride(name: string): [number, number, number] {
  if (name.startsWith("compress_time")) return [2, 1, 1];
  if (name.startsWith("compress_space")) return [1, 2, 2];
  if (name.startsWith("compress_all")) return [2, 2, 2];
  return [1, 1, 1];
}

/** Walks the encoder's channels, checking each block divides them as its layers need. Returns the last width. */
function checkEncoderChannels(cfg: { latentChannels: number; encoderBlocks: readonly VaeBlock[] }): number {
  let c = cfg.latentChannels; // conv_in widens the patchified input to latent_channels (upstream feature_channels)
  cfg.encoderBlocks.forEach((b, i) => {
    if (b.name === "res_x_y" || b.name === "compress_all_x_y") c *= b.multiplier;
    if (b.name.endsWith("_res")) {
      const out = c * b.multiplier;
      const prod = blockStride(b.name).reduce((a, s) => a * s, 1);
      if (out % prod !== 0 || (c * prod) % out !== 0) {
        throw configError(`encoder_blocks[${i}]`, `(${b.name}, ${c} -> ${out} channels) needs output channels divisible by ${prod} and a whole skip group`);
      }
      c = out;
    }
  });
  return c;
}

/** Walks the decoder's channels from the bottleneck (upstream _decoder_bottleneck_channels) down to base channels. */
export function decoderBottleneckChannels(cfg: { decoderBaseChannels: number; decoderBlocks: readonly VaeBlock[] }): number {
  let m = 1;
  for (const b of cfg.decoderBlocks) if (b.name !== "res_x") m *= b.multiplier;
  return cfg.decoderBaseChannels * m;
}

function checkDecoderChannels(cfg: { decoderBaseChannels: number; decoderBlocks: readonly VaeBlock[] }): void {
  let c = decoderBottleneckChannels(cfg);
  [...cfg.decoderBlocks].reverse().forEach((b) => {
    const i = cfg.decoderBlocks.indexOf(b);
    if (b.name === "res_x") return;
    if (c % b.multiplier !== 0) throw configError(`decoder_blocks[${i}]`, `(${b.name}) cannot divide ${c} channels by ${b.multiplier}`);
    if (b.name.startsWith("compress")) {
      const prod = blockStride(b.name).reduce((a, s) => a * s, 1);
      if (b.residual && (c % prod !== 0 || prod % b.multiplier !== 0)) {
        throw configError(`decoder_blocks[${i}]`, `(${b.name}, residual) needs ${c} channels divisible by ${prod} and ${prod} by the multiplier ${b.multiplier}`);
      }
    }
    c /= b.multiplier;
  });
}

/** Parses and validates `config.vae` (the object under the checkpoint's `__metadata__.config`). */
export function parseVideoVaeConfig(raw: unknown): VideoVaeConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new AiprodError("ERR_AIPROD_BAD_CONFIG", "aiprod.ltx2.vae: config.vae is missing or not an object");
  }
  const r = raw as Record<string, unknown>;
  const className = r._class_name;
  if (className !== undefined && className !== "CausalVideoAutoencoder") throw configError("_class_name", `is ${JSON.stringify(className)}; only the conv VAE (CausalVideoAutoencoder) is implemented`);
  if (r.encoder !== undefined) throw configError("encoder", "is present: the nested (diffusion VAE) layout is not implemented");
  if (optional(r, "dims", 3, (v) => v) !== 3) throw configError("dims", `is ${JSON.stringify(r.dims)}; only 3-D convolutions are implemented`);
  if (optional(r, "norm_layer", "pixel_norm", oneOf(["pixel_norm", "group_norm"])) !== "pixel_norm") {
    throw configError("norm_layer", "is group_norm; only pixel_norm (every LTX-2 VAE) is implemented");
  }
  const patchSize = optional(r, "patch_size", 4, positiveInt);
  const spatialPad = r.spatial_padding_mode === undefined ? undefined : oneOf(PAD_MODES)(r.spatial_padding_mode, "spatial_padding_mode") as PadMode;
  const cfg = {
    inChannels: optional(r, "in_channels", 3, positiveInt),
    outChannels: optional(r, "out_channels", 3, positiveInt),
    latentChannels: optional(r, "latent_channels", 128, positiveInt),
    patchSize,
    latentLogVar: optional(r, "latent_log_var", "uniform", oneOf(LOG_VARS)) as LatentLogVar,
    encoderBlocks: parseBlocks<EncoderBlockName>(r.encoder_blocks, "encoder_blocks", ENCODER_BLOCKS, true),
    decoderBlocks: parseBlocks<DecoderBlockName>(r.decoder_blocks, "decoder_blocks", DECODER_BLOCKS, false),
    // Upstream's flat layout reads the encoder's mode as spatial_padding_mode, then encoder_spatial_padding_mode,
    // then zeros; the decoder's as spatial_padding_mode, then reflect.
    encoderSpatialPaddingMode: spatialPad ?? (optional(r, "encoder_spatial_padding_mode", "zeros", oneOf(PAD_MODES)) as PadMode),
    decoderSpatialPaddingMode: spatialPad ?? "reflect",
    causalDecoder: optional(r, "causal_decoder", false, bool),
    // Upstream's default is true (LTX-Video 0.9.x); every LTX-2 config says false.
    timestepConditioning: optional(r, "timestep_conditioning", true, bool),
    decoderBaseChannels: optional(r, "decoder_base_channels", 128, positiveInt),
  };
  const enc = scaleFactorsFromBlocks(cfg.encoderBlocks, patchSize);
  const dec = scaleFactorsFromBlocks(cfg.decoderBlocks, patchSize);
  if (enc.time !== dec.time || enc.height !== dec.height) {
    throw configError("decoder_blocks", `compress ${dec.time}x${dec.height}x${dec.width} but encoder_blocks compress ${enc.time}x${enc.height}x${enc.width}`);
  }
  checkEncoderChannels(cfg);
  checkDecoderChannels(cfg);
  return { ...cfg, scale: enc };
}

/** Channels of the encoder's conv_out: means plus the log-variance layout. */
export function encoderOutChannels(cfg: VideoVaeConfig): number {
  const n = cfg.latentChannels;
  return cfg.latentLogVar === "per_channel" ? 2 * n : cfg.latentLogVar === "none" ? n : n + 1;
}
