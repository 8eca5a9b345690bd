// A tiny latent upsampler checkpoint for tests: the upstream upsampler file layout (bare keys, its own
// `__metadata__.config`) with small widths and seeded bf16 weights.
import type { TensorEntry } from "../../../checkpoint/safetensorsWriter.js";
import { writeSafetensors } from "../../../checkpoint/safetensorsWriter.js";
import { deriveSeed, normals } from "../seededRandom.js";
import { toBf16Bits } from "../vae/tinyVae.js";
import { parseLatentUpsamplerConfig } from "./config.js";

/** Spatial ×2 for the tiny VAE's 8 latent channels. */
export const TINY_SPATIAL_UPSAMPLER_CONFIG = {
  in_channels: 8, mid_channels: 32, num_blocks_per_stage: 1, dims: 3, spatial_upsample: true, temporal_upsample: false,
} as const;

/** Temporal ×2 for the tiny VAE's 8 latent channels. */
export const TINY_TEMPORAL_UPSAMPLER_CONFIG = {
  in_channels: 8, mid_channels: 32, num_blocks_per_stage: 1, dims: 3, spatial_upsample: false, temporal_upsample: true,
} as const;

export function tinyUpsamplerWeights(config: object, seed = 0): Map<string, TensorEntry> {
  const c = parseLatentUpsamplerConfig(config);
  const mid = c.midChannels;
  const k = (c.temporalUpsample ? 2 : 1) * (c.spatialUpsample ? 4 : 1);
  const shapes: [string, number[]][] = [["initial_conv.weight", [mid, c.inChannels, 3, 3, 3]], ["initial_conv.bias", [mid]],
    ["initial_norm.weight", [mid]], ["initial_norm.bias", [mid]]];
  const block = (p: string) => shapes.push([`${p}conv1.weight`, [mid, mid, 3, 3, 3]], [`${p}conv1.bias`, [mid]], [`${p}norm1.weight`, [mid]],
    [`${p}norm1.bias`, [mid]], [`${p}conv2.weight`, [mid, mid, 3, 3, 3]], [`${p}conv2.bias`, [mid]], [`${p}norm2.weight`, [mid]], [`${p}norm2.bias`, [mid]]);
  for (let i = 0; i < c.numBlocksPerStage; i++) block(`res_blocks.${i}.`);
  shapes.push(["upsampler.0.weight", c.temporalUpsample ? [k * mid, mid, 3, 3, 3] : [k * mid, mid, 3, 3]], ["upsampler.0.bias", [k * mid]]);
  for (let i = 0; i < c.numBlocksPerStage; i++) block(`post_upsample_res_blocks.${i}.`);
  shapes.push(["final_conv.weight", [c.inChannels, mid, 3, 3, 3]], ["final_conv.bias", [c.inChannels]]);
  const out = new Map<string, TensorEntry>();
  for (const [key, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const z = normals(n, deriveSeed(seed, key));
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    // Norm weights near 1, biases small, conv weights fan-in scaled.
    const v = key.includes("norm") ? z.map((x) => (key.endsWith("weight") ? 1 + 0.1 * x : 0.05 * x))
      : key.endsWith("bias") ? z.map((x) => 0.02 * x) : z.map((x) => x / Math.sqrt(fanIn));
    out.set(key, { dtype: "bf16", shape, data: toBf16Bits(v) });
  }
  return out;
}

export function writeTinyUpsamplerCheckpoint(path: string, config: object = TINY_SPATIAL_UPSAMPLER_CONFIG, seed = 0): void {
  writeSafetensors(path, tinyUpsamplerWeights(config, seed), { config: JSON.stringify(config) });
}
