// The work model of one generation and its conversion to GPU-seconds on a device profile.
// Work (FLOPs), following the LTX-2 architecture (../shared/reference/ltx2-architecture.md):
//  - latent tokens: (W/32) x (H/32) x ((F-1)/8 + 1); two-stage pipelines run stage 1 at half size, then refine
//    at full size for a few steps;
//  - transformer: per token per layer, 24 d^2 (QKV, output and the 4x MLP, forward multiply-adds x2) plus the
//    attention itself, 4 N d; times layers, denoising steps and guidance passes (1 + CFG + STG + modality);
//  - text encoder: 2 x parameters x prompt tokens, once per distinct prompt (positive, and negative with CFG);
//  - video VAE decode: a fixed cost per output pixel per frame.
// A device profile turns FLOPs into seconds (sustained TFLOPS, measured by `aiprod bench`, stored in
// device_profiles); pricing tiers turn GPU-seconds into money (micro-units, integers).
import { type GenerationParams, TWO_STAGE_PIPELINES, UNGUIDED_PIPELINES } from "../schemas/generationParams.js";

export const MODEL = {
  layers: 48,
  videoDim: 4096, // 32 heads x 128
  audioDim: 2048, // 32 heads x 64
  textEncoderParams: 12e9,
  vaeFlopsPerPixel: 2.0e6, // decoder work per output pixel and frame (3D convs, 128 -> 3 channels)
  maxPromptTokens: 1024,
} as const;

/** Upstream default step counts per pipeline (stage 1, and the refinement stage of the two-stage ones). */
export const DEFAULT_STEPS: Record<GenerationParams["pipeline"], { stage1: number; stage2: number }> = {
  ti2vid_one_stage: { stage1: 40, stage2: 0 },
  ti2vid_two_stages: { stage1: 40, stage2: 3 },
  distilled: { stage1: 8, stage2: 3 },
  ic_lora: { stage1: 8, stage2: 3 },
  keyframe_interpolation: { stage1: 40, stage2: 3 },
};

export interface DeviceProfile {
  device: string;
  transformer_tflops: number;
  vae_tflops: number;
  overhead_seconds: number;
}

/** Used when no profile was measured for the device: an H100 at a typical sustained bf16 rate. */
export const DEFAULT_PROFILE: DeviceProfile = { device: "default", transformer_tflops: 400, vae_tflops: 150, overhead_seconds: 2 };

export interface WorkEstimate {
  latent_tokens: number;
  steps: number;
  guidance_passes: number;
  transformer_flops: number;
  text_encoder_flops: number;
  vae_flops: number;
  total_flops: number;
}

const tokensFor = (w: number, h: number, frames: number) => Math.ceil(w / 32) * Math.ceil(h / 32) * ((frames - 1) / 8 + 1);

function guidancePasses(p: GenerationParams): number {
  if (UNGUIDED_PIPELINES.includes(p.pipeline)) return 1;
  const g = p.video_guidance;
  if (!g) return 2; // upstream default: CFG on
  return 1 + (g.cfg > 1 ? 1 : 0) + (g.stg > 0 ? 1 : 0) + (g.modality > 1 ? 1 : 0);
}

export function estimateWork(p: GenerationParams, promptTokens: number): WorkEstimate {
  const L = MODEL.layers;
  const d = MODEL.videoDim;
  const passes = guidancePasses(p);
  const defaults = DEFAULT_STEPS[p.pipeline];
  const stage1Steps = p.steps ?? defaults.stage1;
  const perPass = (n: number) => L * (24 * d * d * n + 4 * n * n * d);
  let transformer: number;
  let tokens: number;
  let steps: number;
  if (TWO_STAGE_PIPELINES.includes(p.pipeline)) {
    const n1 = tokensFor(p.width / 2, p.height / 2, p.num_frames);
    const n2 = tokensFor(p.width, p.height, p.num_frames);
    transformer = stage1Steps * passes * perPass(n1) + defaults.stage2 * perPass(n2); // refinement is unguided
    tokens = n2;
    steps = stage1Steps + defaults.stage2;
  } else {
    tokens = tokensFor(p.width, p.height, p.num_frames);
    transformer = stage1Steps * passes * perPass(tokens);
    steps = stage1Steps;
  }
  const prompts = passes > 1 && !UNGUIDED_PIPELINES.includes(p.pipeline) ? 2 : 1;
  const text = 2 * MODEL.textEncoderParams * Math.min(promptTokens, MODEL.maxPromptTokens) * prompts;
  const vae = MODEL.vaeFlopsPerPixel * p.width * p.height * p.num_frames;
  return {
    latent_tokens: tokens,
    steps,
    guidance_passes: passes,
    transformer_flops: transformer,
    text_encoder_flops: text,
    vae_flops: vae,
    total_flops: transformer + text + vae,
  };
}

/** Rough token count of a prompt (Gemma's tokenizer averages about 4 characters per token in English). */
export const promptTokens = (prompt: string | undefined) => Math.max(1, Math.ceil((prompt?.length ?? 0) / 4));

export function gpuSeconds(w: WorkEstimate, profile: DeviceProfile): number {
  const t = (w.transformer_flops + w.text_encoder_flops) / (profile.transformer_tflops * 1e12) + w.vae_flops / (profile.vae_tflops * 1e12);
  return t + profile.overhead_seconds;
}
