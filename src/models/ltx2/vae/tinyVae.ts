// A tiny LTX-2 video VAE: the exact upstream `config.vae` schema with small widths and one ResNet per res_x, but
// every block kind LTX-2 uses (encoder compress_space_res / compress_time_res / compress_all_res, decoder
// compress_space / compress_time / compress_all with residual), 32×32×8 compression, zeros padding in the encoder
// and reflect in the decoder. Weights are seeded bf16 with fan-in scaling, under the real `vae.` key names.
import type { TensorEntry } from "../../../checkpoint/safetensorsWriter.js";
import { writeSafetensors } from "../../../checkpoint/safetensorsWriter.js";
import { deriveSeed, normals, uniformSource } from "../seededRandom.js";
import { blockStride, decoderBottleneckChannels, encoderOutChannels, parseVideoVaeConfig, type VideoVaeConfig } from "./config.js";

/** The tiny VAE's `config.vae`, as a checkpoint stores it. */
export const TINY_VAE_CONFIG = {
  _class_name: "CausalVideoAutoencoder",
  dims: 3,
  in_channels: 3,
  out_channels: 3,
  latent_channels: 8,
  patch_size: 4,
  norm_layer: "pixel_norm",
  latent_log_var: "uniform",
  encoder_spatial_padding_mode: "zeros",
  causal_decoder: false,
  timestep_conditioning: false,
  decoder_base_channels: 8,
  encoder_blocks: [
    ["res_x", { num_layers: 1 }],
    ["compress_space_res", { multiplier: 2 }],
    ["res_x", { num_layers: 1 }],
    ["compress_time_res", { multiplier: 2 }],
    ["compress_all_res", { multiplier: 2 }],
    ["res_x", { num_layers: 1 }],
    ["compress_all_res", { multiplier: 1 }],
  ],
  decoder_blocks: [
    ["res_x", { num_layers: 1 }],
    ["compress_space", { multiplier: 2 }],
    ["res_x", { num_layers: 1 }],
    ["compress_time", { multiplier: 2 }],
    ["res_x", { num_layers: 1 }],
    ["compress_all", { residual: true, multiplier: 2 }],
    ["res_x", { num_layers: 1 }],
    ["compress_all", { residual: true, multiplier: 1 }],
    ["res_x", { num_layers: 1 }],
  ],
} as const;

type Init = "conv" | "bias" | "zero" | "one" | "mean" | "std" | "table" | "multiplier";
interface ParamSpec {
  shape: number[];
  init: Init;
}

function conv3(p: string, cin: number, cout: number, out: Map<string, ParamSpec>, k = 3): void {
  out.set(`${p}conv.weight`, { shape: [cout, cin, k, k, k], init: "conv" });
  out.set(`${p}conv.bias`, { shape: [cout], init: "bias" });
}

function resnet(p: string, cin: number, cout: number, tcond: boolean, out: Map<string, ParamSpec>): void {
  conv3(`${p}conv1.`, cin, cout, out);
  conv3(`${p}conv2.`, cout, cout, out);
  if (cin !== cout) {
    out.set(`${p}norm3.weight`, { shape: [cin], init: "one" });
    out.set(`${p}norm3.bias`, { shape: [cin], init: "zero" });
    out.set(`${p}conv_shortcut.weight`, { shape: [cout, cin, 1, 1, 1], init: "conv" });
    out.set(`${p}conv_shortcut.bias`, { shape: [cout], init: "bias" });
  }
  if (tcond) out.set(`${p}scale_shift_table`, { shape: [4, cin], init: "table" });
}

function timeEmbedder(p: string, dim: number, out: Map<string, ParamSpec>): void {
  out.set(`${p}timestep_embedder.linear_1.weight`, { shape: [dim, 256], init: "conv" });
  out.set(`${p}timestep_embedder.linear_1.bias`, { shape: [dim], init: "bias" });
  out.set(`${p}timestep_embedder.linear_2.weight`, { shape: [dim, dim], init: "conv" });
  out.set(`${p}timestep_embedder.linear_2.bias`, { shape: [dim], init: "bias" });
}

/** Every parameter of a conv VAE with this config: upstream key (with `vae.`) → shape and how to fill it. */
export function videoVaeParamSpecs(cfg: VideoVaeConfig): Map<string, ParamSpec> {
  const out = new Map<string, ParamSpec>();
  const lc = cfg.latentChannels;
  out.set("vae.per_channel_statistics.mean-of-means", { shape: [lc], init: "mean" });
  out.set("vae.per_channel_statistics.std-of-means", { shape: [lc], init: "std" });
  out.set("vae.per_channel_statistics.mean-of-stds", { shape: [lc], init: "std" });
  // Encoder.
  let c = lc;
  conv3("vae.encoder.conv_in.", cfg.inChannels * cfg.patchSize ** 2, c, out);
  cfg.encoderBlocks.forEach((b, i) => {
    const p = `vae.encoder.down_blocks.${i}.`;
    if (b.name === "res_x") for (let j = 0; j < b.numLayers; j++) resnet(`${p}res_blocks.${j}.`, c, c, false, out);
    else if (b.name === "res_x_y") (resnet(p, c, c * b.multiplier, false, out), (c *= b.multiplier));
    else if (b.name.endsWith("_res")) {
      const prod = blockStride(b.name).reduce((a, s) => a * s, 1);
      conv3(`${p}conv.`, c, (c * b.multiplier) / prod, out);
      c *= b.multiplier;
    } else {
      const o = b.name === "compress_all_x_y" ? c * b.multiplier : c;
      conv3(p, c, o, out);
      c = o;
    }
  });
  conv3("vae.encoder.conv_out.", c, encoderOutChannels(cfg), out);
  // Decoder (blocks built in reverse order).
  c = decoderBottleneckChannels(cfg);
  const t = cfg.timestepConditioning;
  conv3("vae.decoder.conv_in.", lc, c, out);
  [...cfg.decoderBlocks].reverse().forEach((b, i) => {
    const p = `vae.decoder.up_blocks.${i}.`;
    if (b.name === "res_x") {
      if (t) timeEmbedder(`${p}time_embedder.`, 4 * c, out);
      for (let j = 0; j < b.numLayers; j++) resnet(`${p}res_blocks.${j}.`, c, c, t, out);
    } else if (b.name === "res_x_y") (resnet(p, c, c / b.multiplier, false, out), (c /= b.multiplier));
    else {
      const prod = blockStride(b.name).reduce((a, s) => a * s, 1);
      conv3(`${p}conv.`, c, (prod * c) / b.multiplier, out);
      c /= b.multiplier;
    }
  });
  conv3("vae.decoder.conv_out.", c, cfg.outChannels * cfg.patchSize ** 2, out);
  if (t) {
    out.set("vae.decoder.timestep_scale_multiplier", { shape: [], init: "multiplier" });
    timeEmbedder("vae.decoder.last_time_embedder.", 2 * c, out);
    out.set("vae.decoder.last_scale_shift_table", { shape: [2, c], init: "table" });
  }
  return out;
}

/** f32 → bf16 bits, round to nearest even (NaN stays NaN). */
export function toBf16Bits(values: Float32Array): Uint16Array {
  const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = u32[i]!;
    out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

/** Seeded values for one parameter: fan-in-scaled normals for weights, small biases, positive statistics. */
export function initValues(key: string, spec: ParamSpec, seed: number): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const s = deriveSeed(seed, key);
  const fanIn = spec.shape.slice(1).reduce((a, b) => a * b, 1);
  switch (spec.init) {
    case "conv": {
      // Decoder conv_out is scaled down so the tiny model's pixels land mostly inside [-1, 1].
      const gain = key.endsWith("decoder.conv_out.conv.weight") ? 0.5 : 1;
      return normals(n, s).map((v) => (v * gain) / Math.sqrt(fanIn));
    }
    case "bias": return normals(n, s).map((v) => 0.02 * v);
    case "table": return normals(n, s).map((v) => 0.1 * v);
    case "zero": return new Float32Array(n);
    case "one": return new Float32Array(n).fill(1);
    case "mean": return normals(n, s).map((v) => 0.1 * v);
    case "std": {
      const u = uniformSource(s);
      return Float32Array.from({ length: n }, () => 0.5 + u());
    }
    case "multiplier": return new Float32Array([1000]);
  }
}

/** Seeded bf16 weights for a VAE config in the upstream `config.vae` schema (keys with the `vae.` prefix). */
export function tinyVaeWeights(config: object = TINY_VAE_CONFIG, seed = 0): Map<string, TensorEntry> {
  const cfg = parseVideoVaeConfig(config);
  const out = new Map<string, TensorEntry>();
  for (const [key, spec] of videoVaeParamSpecs(cfg)) {
    out.set(key, { dtype: "bf16", shape: spec.shape, data: toBf16Bits(initValues(key, spec, seed)) });
  }
  return out;
}

/** Writes a standalone VAE checkpoint: the weights plus `__metadata__.config = {"vae": config}`. */
export function writeTinyVaeCheckpoint(path: string, config: object = TINY_VAE_CONFIG, seed = 0): void {
  writeSafetensors(path, tinyVaeWeights(config, seed), { config: JSON.stringify({ vae: config }) });
}
