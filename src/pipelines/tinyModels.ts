// The built-in tiny configuration: a full set of model files in the real layouts (LTX-2 checkpoint with
// transformer, text projection, video VAE, audio VAE and vocoder; Gemma 3 folder; spatial upsampler; distilled
// LoRA; IC-LoRA with reference metadata) with seeded random weights. It makes every pipeline and the CLI run on
// a fresh machine in seconds; the videos it produces are noise-like, not meaningful.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { writeSafetensors, type TensorEntry } from "../checkpoint/safetensorsWriter.js";
import { writeTinyGemma } from "../models/gemma3/tiny.js";
import { tinyAudioExtra } from "../models/ltx2/audio/tinyAudio.js";
import { TINY_TRANSFORMER_CONFIG, writeTinyLtx2Checkpoint } from "../models/ltx2/checkpoint/tinyCheckpoint.js";
import { GaussianGenerator } from "../models/ltx2/components/noisers.js";
import { TINY_SPATIAL_UPSAMPLER_CONFIG, writeTinyUpsamplerCheckpoint } from "../models/ltx2/upsampler/tinyUpsampler.js";
import { TINY_VAE_CONFIG, tinyVaeWeights } from "../models/ltx2/vae/tinyVae.js";
import type { ModelFiles } from "./types.js";

/** Bump when the files written change, so stale caches are not reused. */
export const TINY_MODELS_VERSION = 3;

function writeTinyLora(path: string, seed: number, metadata: Record<string, string> = {}): void {
  const g = new GaussianGenerator(seed);
  const dim = TINY_TRANSFORMER_CONFIG.num_attention_heads * TINY_TRANSFORMER_CONFIG.attention_head_dim;
  const rank = 4;
  const entries = new Map<string, TensorEntry>();
  for (let b = 0; b < TINY_TRANSFORMER_CONFIG.num_layers; b++) {
    for (const m of ["attn1.to_q", "attn1.to_v", "ff.net.2"]) {
      const [inF, outF] = m === "ff.net.2" ? [dim * 4, dim] : [dim, dim];
      const p = `diffusion_model.transformer_blocks.${b}.${m}`;
      entries.set(`${p}.lora_A.weight`, { dtype: "f32", shape: [rank, inF], data: Float32Array.from(g.normal(rank * inF), (v) => v / Math.sqrt(inF)) });
      entries.set(`${p}.lora_B.weight`, { dtype: "f32", shape: [outF, rank], data: Float32Array.from(g.normal(outF * rank), (v) => 0.2 * v) });
    }
  }
  writeSafetensors(path, entries, metadata);
}

/** Writes the tiny model set into `dir` (created) and returns its ModelFiles. */
export function writeTinyModels(dir: string, seed = 0): ModelFiles {
  mkdirSync(dir, { recursive: true });
  const files = tinyModelFiles(dir);
  writeTinyLtx2Checkpoint(files.checkpoint, {
    seed,
    // The tiny VAE has 8 latent channels: the transformer's video tokens are 8 wide; audio tokens are 8·16.
    transformer: { in_channels: TINY_VAE_CONFIG.latent_channels, out_channels: TINY_VAE_CONFIG.latent_channels },
    extra: [{ entries: tinyVaeWeights(TINY_VAE_CONFIG, seed), config: { vae: TINY_VAE_CONFIG } }, tinyAudioExtra({ zChannels: 8, seed })],
  });
  // The text side of the tiny checkpoint takes 3 hidden states of width caption_channels.
  writeTinyGemma(files.textEncoder, { seed: seed + 1, shards: 1, textConfig: { hidden_size: TINY_TRANSFORMER_CONFIG.caption_channels, num_hidden_layers: 2 } });
  writeTinyUpsamplerCheckpoint(files.upsampler!, TINY_SPATIAL_UPSAMPLER_CONFIG, seed);
  writeTinyLora(files.distilledLora!.path, seed + 2);
  writeTinyLora(files.loras![0]!.path, seed + 3, { reference_downscale_factor: "1", reference_temporal_scale_factor: "1" });
  return files;
}

/** Where writeTinyModels puts each file. */
export function tinyModelFiles(dir: string): ModelFiles & { upsampler: string; distilledLora: { path: string; strength: number }; loras: { path: string; strength: number }[] } {
  return {
    checkpoint: join(dir, "ltx-2-tiny.safetensors"),
    textEncoder: join(dir, "gemma-3-tiny"),
    upsampler: join(dir, "ltx-2-tiny-spatial-upscaler-x2.safetensors"),
    distilledLora: { path: join(dir, "ltx-2-tiny-distilled-lora.safetensors"), strength: 1 },
    loras: [{ path: join(dir, "ltx-2-tiny-ic-lora.safetensors"), strength: 1 }],
  };
}

/** The cache folder of the tiny models: $AIPROD_CACHE_DIR, $XDG_CACHE_HOME/aiprod, ~/.cache/aiprod, else the temp dir. */
export function tinyModelsDir(): string {
  const base = process.env.AIPROD_CACHE_DIR ?? (process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, "aiprod") : homedir() ? join(homedir(), ".cache", "aiprod") : join(tmpdir(), "aiprod-cache"));
  return join(base, `tiny-models-v${TINY_MODELS_VERSION}`);
}

/** The tiny models, written once into the cache (complete under a temporary name, then renamed into place). */
export function ensureTinyModels(dir = tinyModelsDir()): ModelFiles {
  if (existsSync(join(dir, "COMPLETE"))) return tinyModelFiles(dir);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeTinyModels(tmp);
    writeFileSync(join(tmp, "COMPLETE"), "");
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another process finished first: use its copy.
      if (!existsSync(join(dir, "COMPLETE"))) throw e;
    }
  } catch (e) {
    if (!existsSync(join(dir, "COMPLETE"))) throw e;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return tinyModelFiles(dir);
}
