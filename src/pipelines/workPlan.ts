// The work of one generation, stage by stage, in estimated floating-point operations computed from the models'
// own configurations (so the tiny model set and the 19B checkpoint are both measured in their own units). The
// run reports progress as work done out of the whole job's work and extrapolates an ETA from the rate so far;
// a stage counts in proportion to its work, so a long audio decode no longer sits at "0/1" of a 1-unit stage.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile } from "../checkpoint/safetensors.js";
import { audioLatentFrames } from "../models/ltx2/audio/duration.js";
import { parseTransformerConfig } from "../models/ltx2/transformer/config.js";
import type { ModelInfo } from "./modelFiles.js";
import { DISTILLED_SCHEDULE, type ResolvedParams, TWO_STAGE } from "./types.js";

/** Stage name (as RunContext.stage names it) -> estimated FLOPs. Stages absent from the plan count as no work. */
export type WorkPlan = Map<string, number>;

const num = (v: unknown, fallback: number): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback);

/** Transformer forward: per token and layer 24·d² (projections and the 4x MLP) + 4·n·d (attention), both streams. */
function transformerPass(layers: number, streams: readonly { tokens: number; dim: number }[]): number {
  return streams.reduce((s, { tokens: n, dim: d }) => s + layers * (24 * d * d * n + 4 * n * n * d), 0);
}

/** Gemma forward over `tokens`: 2 x (non-embedding parameters) per token. */
function gemmaFlops(textEncoder: string, tokens: number): number {
  try {
    const c = JSON.parse(readFileSync(join(textEncoder, "config.json"), "utf8")) as Record<string, unknown>;
    const t = (c.text_config ?? c) as Record<string, unknown>;
    const h = num(t.hidden_size, 3840), layers = num(t.num_hidden_layers, 48), inter = num(t.intermediate_size, 4 * h);
    return 2 * tokens * layers * (4 * h * h + 3 * h * inter);
  } catch {
    return 2 * tokens * 12e9;
  }
}

/** Audio VAE decoder (2D convs over time x mel) and HiFi-GAN vocoder, for `latentFrames` audio latent frames. */
function audioFlops(config: Record<string, unknown>, latentFrames: number): number {
  const dd = ((config.audio_vae as { model?: { params?: { ddconfig?: Record<string, unknown> } } } | undefined)?.model?.params?.ddconfig) ?? {};
  const ch = num(dd.ch, 128), mult = Array.isArray(dd.ch_mult) ? (dd.ch_mult as number[]) : [1, 2, 4], blocks = num(dd.num_res_blocks, 2);
  const melFrames = Math.max(1, 4 * latentFrames - 3), bins = num(dd.mel_bins, 64);
  let vae = 0;
  mult.forEach((m, l) => {
    const c = ch * m, positions = (melFrames * bins) / 4 ** (mult.length - 1 - l);
    vae += positions * (blocks + 1) * 2 * (2 * 9 * c * c) + positions * 2 * 9 * c * c; // resnet convs + the upsample conv
  });
  const v = (config.vocoder ?? {}) as Record<string, unknown>;
  const c0 = num(v.upsample_initial_channel, 1024), rates = Array.isArray(v.upsample_rates) ? (v.upsample_rates as number[]) : [6, 5, 2, 2, 2];
  const upK = Array.isArray(v.upsample_kernel_sizes) ? (v.upsample_kernel_sizes as number[]) : rates.map((r) => 2 * r);
  const resK = Array.isArray(v.resblock_kernel_sizes) ? (v.resblock_kernel_sizes as number[]) : [3, 7, 11];
  let voc = 0, length = melFrames, cin = c0;
  rates.forEach((r, i) => {
    const cout = cin / 2;
    length *= r;
    voc += 2 * length * cin * cout * (upK[i] ?? 2 * r) / r; // transposed conv: each input sample feeds k outputs
    voc += resK.reduce((s, k) => s + 6 * 2 * length * cout * cout * k, 0); // 3 dilations x 2 convs per kernel size
    cin = cout;
  });
  return vae + 2 * voc; // stereo
}

/** Video VAE decode: about 2 MFLOPs per output pixel and frame at the released width (128 base channels). */
function videoDecodeFlops(config: Record<string, unknown>, p: ResolvedParams): number {
  const base = num((config.vae as Record<string, unknown> | undefined)?.decoder_base_channels, 128);
  return 2e6 * (base / 128) ** 2 * p.width * p.height * p.numFrames;
}

/** The plan of a resolved request on the loaded models. */
export function planWork(p: ResolvedParams, models: ModelInfo): WorkPlan {
  using file = SafetensorsFile.open(models.files.checkpoint);
  const config = file.config ?? {};
  const c = parseTransformerConfig(config);
  const twoStage = TWO_STAGE.has(p.pipeline);
  const guided = !DISTILLED_SCHEDULE.has(p.pipeline);
  const tokens = (w: number, h: number) => (w / 32) * (h / 32) * ((p.numFrames - 1) / 8 + 1);
  const audioTokens = audioLatentFrames(p.numFrames, p.fps);
  const streams = (w: number, h: number) => [{ tokens: tokens(w, h), dim: c.heads * c.headDim }, { tokens: audioTokens, dim: c.audioHeads * c.audioHeadDim }];
  // Guided passes: conditional, unconditional (CFG), perturbed (STG), isolated-modality; each only when on.
  const g = p.videoGuidance;
  const passes = guided ? 1 + (g.cfgScale !== 1 ? 1 : 0) + (g.stgScale !== 0 ? 1 : 0) + (g.modalityScale !== 1 ? 1 : 0) : 1;
  const stage1Steps = p.pipeline === "distilled" || p.pipeline === "ic_lora" ? 8 : p.steps;
  const [w1, h1] = twoStage ? [p.width / 2, p.height / 2] : [p.width, p.height];
  const plan: WorkPlan = new Map();
  const prompts = guided ? 2 : 1;
  plan.set("text", gemmaFlops(models.files.textEncoder, 1024) * prompts);
  if (p.enhancePrompt) plan.set("enhance", gemmaFlops(models.files.textEncoder, 1024 + p.enhanceMaxNewTokens));
  const imageWork = videoDecodeFlops(config, { ...p, numFrames: 1 }) * p.images.length;
  if (imageWork > 0) plan.set("conditioning", imageWork / (twoStage ? 4 : 1));
  plan.set("stage1", stage1Steps * passes * transformerPass(c.numLayers, streams(w1, h1)));
  if (twoStage) {
    plan.set("upsample", 2e6 * tokens(p.width, p.height) * 8); // small next to the transformer stages
    if (imageWork > 0) plan.set("conditioning2", imageWork);
    plan.set("stage2", 3 * transformerPass(c.numLayers, streams(p.width, p.height)));
  }
  if (models.hasAudio) plan.set("audio", audioFlops(config, audioTokens));
  plan.set("decode", videoDecodeFlops(config, p));
  return plan;
}

/** Sum of a plan's work. */
export const totalWork = (plan: WorkPlan): number => [...plan.values()].reduce((a, b) => a + b, 0);
