// Public types of the generation API: what a request holds, what progress and results look like.
import type { GuiderParams } from "../models/ltx2/components/guiders.js";
import type { MemoryPlan } from "./memory/planGeneration.js";

export const PIPELINES = ["distilled", "ti2vid_one_stage", "ti2vid_two_stages", "ic_lora", "keyframe_interpolation"] as const;
export type PipelineName = (typeof PIPELINES)[number];

/** Pipelines that generate at half size, upsample ×2 and refine (sizes must be multiples of 64). */
export const TWO_STAGE: ReadonlySet<PipelineName> = new Set(["ti2vid_two_stages", "distilled", "ic_lora", "keyframe_interpolation"]);
/** Pipelines with fixed distilled sigma schedules (no --steps, no guidance). */
export const DISTILLED_SCHEDULE: ReadonlySet<PipelineName> = new Set(["distilled", "ic_lora"]);

export interface ImageInput {
  /** A file path or encoded image bytes (PNG, JPEG, WebP, …). */
  source: string | Uint8Array;
  /** Pixel frame the image conditions (default 0). */
  frame?: number;
  /** 1 = kept exactly, 0 = no influence (default 1). */
  strength?: number;
  /** H.264 CRF of the training-like re-compression; default from the model generation (33, or 18 from 2.4); 0 skips it. */
  crf?: number;
}

export interface ReferenceVideoInput {
  path: string;
  /** Conditioning strength of the reference tokens (default 1: kept clean). */
  strength?: number;
  /** Attention weight between the generated and reference tokens, in [0, 1] (default 1: full attention). */
  attentionStrength?: number;
  /**
   * A grayscale mask video (or image) in [0, 1] at any size: per-region attention to the reference, multiplied by
   * attentionStrength (upstream --conditioning-attention-mask). Resized to the stage-1 size and pooled to the
   * reference's latent tokens.
   */
  attentionMask?: string;
}

export interface GenerateParams {
  /** Default DEFAULT_PIPELINE ("distilled"), as the CLI and the HTTP API. */
  pipeline?: PipelineName;
  prompt: string;
  /** Guided pipelines only; default upstream's DEFAULT_NEGATIVE_PROMPT. */
  negativePrompt?: string;
  /**
   * Upstream --enhance-prompt (default false): before encoding, Gemma rewrites the prompt (not the negative one),
   * text-only or, with an image at frame 0, from that image too (the text encoder folder then needs its vision
   * weights), sampling seeded by `seed`. The result's `enhancedPrompt` is what was encoded.
   */
  enhancePrompt?: boolean;
  /** Most tokens enhancement generates (default 512, upstream's). */
  enhanceMaxNewTokens?: number;
  seed?: number;
  /** Output size in pixels (two-stage pipelines: the final, full size). */
  width?: number;
  height?: number;
  /** Frame count, 8k + 1 (upstream's num_frames; the HTTP API's num_frames, the CLI's --num-frames). */
  numFrames?: number;
  fps?: number;
  /** Denoising steps of the guided stage (ti2vid_*, keyframe_interpolation); distilled schedules are fixed. */
  steps?: number;
  images?: ImageInput[];
  referenceVideo?: ReferenceVideoInput;
  /** Overrides of the guidance parameters from the model's generation defaults. */
  videoGuidance?: Partial<GuiderParams>;
  audioGuidance?: Partial<GuiderParams>;
  /** Where the MP4 goes. */
  output: string;
  /** Also write every frame as PNG into this (new) folder. */
  pngFramesDir?: string;
}

export interface LoraInput {
  path: string;
  strength?: number;
}

export interface ModelFiles {
  /** LTX-2 checkpoint (transformer, text projection, VAE, audio VAE, vocoder). */
  checkpoint: string;
  /** Gemma 3 folder (Hugging Face layout). */
  textEncoder: string;
  /** Spatial ×2 latent upsampler (two-stage pipelines). */
  upsampler?: string;
  /** Distilled LoRA fused for the stage-2 refinement of ti2vid_two_stages and keyframe_interpolation. */
  distilledLora?: LoraInput;
  /** User LoRAs (IC-LoRAs for ic_lora), fused into the transformer. */
  loras?: LoraInput[];
}

export interface Progress {
  /** The running stage and its own steps. */
  stage: string;
  step: number;
  steps: number;
  /** Work done and the whole job's work, in estimated FLOPs of the models' configurations (workPlan.ts). */
  done: number;
  total: number;
  /** Seconds left, from the rate so far; absent until some work is done. */
  etaSeconds?: number;
}

export interface StageReport {
  stage: string;
  seconds: number;
  /**
   * Highest resident set size during the stage (whole process: main thread and workers): the kernel's high-water
   * mark on Linux, else the highest sampled value.
   */
  peakRssBytes: number;
  /** Peak CUDA device memory in use during the stage (runs on a GPU only). */
  peakDeviceBytes?: number;
  /** Resident set size when the stage began. */
  startRssBytes?: number;
}

export interface GenerateResult {
  output: string;
  pngFramesDir?: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  /** False when the checkpoint has no audio VAE/vocoder; the MP4 then has no sound track. */
  hasAudio: boolean;
  seed: number;
  pipeline: PipelineName;
  /** The resolved request: every default filled in. */
  params: ResolvedParams;
  /** The prompt that was encoded when params.enhancePrompt was set (Gemma's rewrite of params.prompt). */
  enhancedPrompt?: string;
  /** SHA-256 of every model file used (folders: of their files in name order). */
  modelHashes: Record<string, string>;
  stages: StageReport[];
  /** Process RSS when the generation's worker began, before any model loaded (what every stage's peak sits on). */
  baselineRssBytes: number;
  /** The memory plan the job was admitted with (predicted peaks per stage, decode tiling). */
  memoryPlan: MemoryPlan;
  seconds: number;
}

export interface ResolvedImage {
  source: string | Uint8Array;
  frame: number;
  strength: number;
  crf: number;
}

export interface ResolvedParams {
  pipeline: PipelineName;
  prompt: string;
  negativePrompt: string;
  enhancePrompt: boolean;
  enhanceMaxNewTokens: number;
  seed: number;
  width: number;
  height: number;
  numFrames: number;
  fps: number;
  steps: number;
  images: ResolvedImage[];
  referenceVideo?: Required<Omit<ReferenceVideoInput, "attentionMask">> & { attentionMask?: string };
  videoGuidance: GuiderParams;
  audioGuidance: GuiderParams;
  output: string;
  pngFramesDir?: string;
}
