// Whole-model float64 references (encoder, decoder, latent upsampler) built from reference.ts and the raw
// checkpoint: weights read as their stored bf16 values, block lists walked from the raw `config.vae` JSON (not
// the engine's parser).
import type { WeightSource } from "../../../../src/checkpoint/safetensors.js";
import * as R from "./reference.js";

export function param(src: WeightSource, key: string): R.T {
  using t = src.tensor(key);
  return R.fromF32(t.toFloat32(), t.shape);
}

const vec = (src: WeightSource, key: string) => param(src, key).d;

type Blocks = [string, Record<string, number | boolean> | number][];
const stride = (name: string) => (name.startsWith("compress_time") ? [2, 1, 1] : name.startsWith("compress_space") ? [1, 2, 2] : [2, 2, 2]);

function resnetBlock(src: WeightSource, p: string, x: R.T, causal: boolean, mode: R.Pad, ada?: Float64Array[]): R.T {
  let h = R.pixelNorm(x);
  if (ada) h = R.modulate(h, ada[1]!, ada[0]!);
  h = R.causalConv3d(R.silu(h), param(src, `${p}conv1.conv.weight`), vec(src, `${p}conv1.conv.bias`), causal, mode);
  h = R.pixelNorm(h);
  if (ada) h = R.modulate(h, ada[3]!, ada[2]!);
  h = R.causalConv3d(R.silu(h), param(src, `${p}conv2.conv.weight`), vec(src, `${p}conv2.conv.bias`), causal, mode);
  return R.add(h, x);
}

/** Sinusoid (cos first) → linear_1 → SiLU → linear_2, in f64. */
export function timeEmbedding(src: WeightSource, p: string, t: number): Float64Array {
  const half = 128;
  const proj = new Float64Array(256);
  for (let i = 0; i < half; i++) {
    const a = t * Math.exp((-Math.log(10000) * i) / half);
    proj[i] = Math.cos(a);
    proj[half + i] = Math.sin(a);
  }
  const lin = (x: Float64Array, w: R.T, b: Float64Array) => {
    const [o, k] = w.s as [number, number];
    return Float64Array.from({ length: o }, (_, r) => b[r]! + x.reduce((acc, v, j) => acc + v * w.d[r * k + j]!, 0));
  };
  const h = lin(proj, param(src, `${p}timestep_embedder.linear_1.weight`), vec(src, `${p}timestep_embedder.linear_1.bias`)).map((v) => v / (1 + Math.exp(-v)));
  return lin(h, param(src, `${p}timestep_embedder.linear_2.weight`), vec(src, `${p}timestep_embedder.linear_2.bias`));
}

/** rows of table[K, C] + emb reshaped (K, C), batch 1. */
function rows(table: R.T, emb: Float64Array): Float64Array[] {
  const [K, C] = table.s as [number, number];
  return Array.from({ length: K }, (_, k) => Float64Array.from({ length: C }, (_, c) => table.d[k * C + c]! + emb[k * C + c]!));
}

export function encodeRef(file: WeightSource, vae: Record<string, unknown>, video: R.T): R.T {
  const src = { tensor: (k: string) => file.tensor(`vae.encoder.${k}`) } as WeightSource;
  const mode = ((vae.spatial_padding_mode ?? vae.encoder_spatial_padding_mode ?? "zeros") as R.Pad);
  let h = R.patchify(video, vae.patch_size as number);
  h = R.causalConv3d(h, param(src, "conv_in.conv.weight"), vec(src, "conv_in.conv.bias"), true, mode);
  (vae.encoder_blocks as Blocks).forEach(([name, params], i) => {
    const p = `down_blocks.${i}.`;
    const cfg = typeof params === "number" ? { num_layers: params } : params;
    if (name === "res_x") for (let j = 0; j < (cfg.num_layers as number); j++) h = resnetBlock(src, `${p}res_blocks.${j}.`, h, true, mode);
    else if (name.endsWith("_res")) h = R.spaceToDepthDownsample(h, param(src, `${p}conv.conv.weight`), vec(src, `${p}conv.conv.bias`), stride(name), h.s[1]! * ((cfg.multiplier as number) ?? 2), mode);
    else throw new Error(`reference encoder: block ${name} not modelled`);
  });
  h = R.causalConv3d(R.silu(R.pixelNorm(h)), param(src, "conv_out.conv.weight"), vec(src, "conv_out.conv.bias"), true, mode);
  const means = R.channels(h, 0, vae.latent_channels as number);
  return R.normalize(means, vec(file, "vae.per_channel_statistics.mean-of-means"), vec(file, "vae.per_channel_statistics.std-of-means"));
}

export function decodeRef(file: WeightSource, vae: Record<string, unknown>, latent: R.T, opts: { noise?: R.T; timestep?: number } = {}): R.T {
  const src = { tensor: (k: string) => file.tensor(`vae.decoder.${k}`) } as WeightSource;
  const mode = ((vae.spatial_padding_mode ?? "reflect") as R.Pad);
  const causal = (vae.causal_decoder as boolean | undefined) ?? false;
  const tcond = vae.timestep_conditioning === true;
  let x = latent;
  if (tcond) x = R.map(x, (v, i) => opts.noise!.d[i]! * 0.025 + (1 - 0.025) * v);
  let h = R.unNormalize(x, vec(file, "vae.per_channel_statistics.mean-of-means"), vec(file, "vae.per_channel_statistics.std-of-means"));
  h = R.causalConv3d(h, param(src, "conv_in.conv.weight"), vec(src, "conv_in.conv.bias"), causal, mode);
  const t = tcond ? (opts.timestep ?? 0.05) * param(src, "timestep_scale_multiplier").d[0]! : 0;
  [...(vae.decoder_blocks as Blocks)].reverse().forEach(([name, params], i) => {
    const p = `up_blocks.${i}.`;
    const cfg = typeof params === "number" ? { num_layers: params } : params;
    if (name === "res_x") {
      const emb = tcond ? timeEmbedding(src, `${p}time_embedder.`, t) : undefined;
      for (let j = 0; j < (cfg.num_layers as number); j++) {
        const ada = emb ? rows(param(src, `${p}res_blocks.${j}.scale_shift_table`), emb) : undefined;
        h = resnetBlock(src, `${p}res_blocks.${j}.`, h, causal, mode, ada);
      }
    } else {
      h = R.depthToSpaceUpsample(h, param(src, `${p}conv.conv.weight`), vec(src, `${p}conv.conv.bias`), stride(name), cfg.residual === true, (cfg.multiplier as number) ?? 1, causal, mode);
    }
  });
  h = R.pixelNorm(h);
  if (tcond) {
    const [shift, scale] = rows(param(src, "last_scale_shift_table"), timeEmbedding(src, "last_time_embedder.", t));
    h = R.modulate(h, scale!, shift!);
  }
  h = R.causalConv3d(R.silu(h), param(src, "conv_out.conv.weight"), vec(src, "conv_out.conv.bias"), causal, mode);
  return R.unpatchify(h, vae.patch_size as number);
}

function upResBlock(src: WeightSource, p: string, x: R.T): R.T {
  let h = R.conv3d(x, param(src, `${p}conv1.weight`), vec(src, `${p}conv1.bias`), [1, 1, 1], 1, "zeros", 1);
  h = R.silu(R.groupNorm(h, 32, vec(src, `${p}norm1.weight`), vec(src, `${p}norm1.bias`), 1e-5));
  h = R.conv3d(h, param(src, `${p}conv2.weight`), vec(src, `${p}conv2.bias`), [1, 1, 1], 1, "zeros", 1);
  h = R.groupNorm(h, 32, vec(src, `${p}norm2.weight`), vec(src, `${p}norm2.bias`), 1e-5);
  return R.silu(R.add(h, x));
}

/** LatentUpsampler (dims 3) in f64 from the upsampler file and its raw config. */
export function upsamplerRef(src: WeightSource, cfg: Record<string, unknown>, latent: R.T): R.T {
  const n = cfg.num_blocks_per_stage as number;
  let h = R.conv3d(latent, param(src, "initial_conv.weight"), vec(src, "initial_conv.bias"), [1, 1, 1], 1, "zeros", 1);
  h = R.silu(R.groupNorm(h, 32, vec(src, "initial_norm.weight"), vec(src, "initial_norm.bias"), 1e-5));
  for (let i = 0; i < n; i++) h = upResBlock(src, `res_blocks.${i}.`, h);
  if (cfg.temporal_upsample) {
    h = R.temporalShuffle(R.conv3d(h, param(src, "upsampler.0.weight"), vec(src, "upsampler.0.bias"), [1, 1, 1], 1, "zeros", 1));
    h = R.frames(h, 1, h.s[2]! - 1);
  } else {
    h = R.pixelShufflePerFrame(R.conv2dPerFrame(h, param(src, "upsampler.0.weight"), vec(src, "upsampler.0.bias")));
  }
  for (let i = 0; i < n; i++) h = upResBlock(src, `post_upsample_res_blocks.${i}.`, h);
  return R.conv3d(h, param(src, "final_conv.weight"), vec(src, "final_conv.bias"), [1, 1, 1], 1, "zeros", 1);
}
