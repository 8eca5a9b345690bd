// The parameters of one generation, as the pipelines take them (ARCHITECTURE.md "Pipelines"; upstream defaults
// in ../shared/reference/ltx2-architecture.md section 2). One schema for presets now and jobs next.
//  - width/height: multiples of 32 for the one-stage pipeline, of 64 for the two-stage ones (stage 1 runs at half
//    resolution on the 32-pixel latent grid);
//  - num_frames: 8k+1 (the video VAE compresses time 8x after the first frame);
//  - guidance (CFG, STG, rescale, modality) only where the pipeline has a guided denoiser.
import { audioLatentFrames } from "../../src/models/ltx2/audio/duration.js";
import { DEFAULT_PIPELINE, generationDefaults, MIN_FRAMES } from "../../src/pipelines/defaults.js";
import { DISTILLED_SCHEDULE, PIPELINES as LIBRARY_PIPELINES, TWO_STAGE } from "../../src/pipelines/types.js";
import { z } from "./zod.js";

// The library's defaults and bounds, so the API, the CLI and createEngine().generate() agree.
export { DEFAULT_PIPELINE };

export const PIPELINES = LIBRARY_PIPELINES;
export type Pipeline = (typeof PIPELINES)[number];

export const TWO_STAGE_PIPELINES: readonly Pipeline[] = [...TWO_STAGE];
/** Pipelines whose denoiser takes no guidance and no negative prompt (the distilled model). */
export const UNGUIDED_PIPELINES: readonly Pipeline[] = [...DISTILLED_SCHEDULE];

export const LIMITS = {
  minSide: 64,
  maxSide: 3840,
  /** 4K UHD: caps the work of one job whatever the aspect ratio. */
  maxPixels: 3840 * 2160,
  minFrames: MIN_FRAMES,
  maxFrames: 481, // 20 s at 24 fps
  minFps: 1,
  maxFps: 60,
  maxSteps: 100,
  maxPromptChars: 4000,
} as const;

export const GuidanceSchema = z
  .object({
    cfg: z.number().min(1).max(20).openapi({ description: "classifier-free guidance scale (1 = off)" }),
    stg: z.number().min(0).max(10).default(0).openapi({ description: "spatio-temporal guidance scale (0 = off)" }),
    rescale: z.number().min(0).max(1).default(0),
    modality: z.number().min(1).max(20).default(1).openapi({ description: "audio-video modality guidance (1 = off)" }),
    stg_blocks: z.array(z.number().int().min(0).max(63)).max(8).default([]),
  })
  .strict()
  .openapi("Guidance");

export const GenerationParamsSchema = z
  .object({
    pipeline: z.enum(PIPELINES),
    prompt: z.string().min(1).max(LIMITS.maxPromptChars).optional(),
    negative_prompt: z.string().max(LIMITS.maxPromptChars).optional(),
    enhance_prompt: z.boolean().optional().openapi({ description: "let Gemma rewrite the prompt before encoding (upstream --enhance-prompt; from the frame-0 image too, if any), seeded by seed; the rewrite is in the result's enhanced_prompt" }),
    width: z.number().int().min(LIMITS.minSide).max(LIMITS.maxSide).optional().openapi({ description: "default: upstream's, 768 for ti2vid_one_stage, 1536 for the two-stage pipelines" }),
    height: z.number().int().min(LIMITS.minSide).max(LIMITS.maxSide).optional().openapi({ description: "default: upstream's, 512 for ti2vid_one_stage, 1024 for the two-stage pipelines" }),
    num_frames: z.number().int().min(LIMITS.minFrames).max(LIMITS.maxFrames).default(generationDefaults(DEFAULT_PIPELINE).numFrames),
    fps: z.number().min(LIMITS.minFps).max(LIMITS.maxFps).default(generationDefaults(DEFAULT_PIPELINE).frameRate),
    steps: z.number().int().min(1).max(LIMITS.maxSteps).optional(),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(10),
    video_guidance: GuidanceSchema.optional(),
    audio_guidance: GuidanceSchema.optional(),
  })
  .strict()
  // Sizes by pipeline, from the library's defaults (upstream's).
  .transform((p) => ({ ...p, width: p.width ?? generationDefaults(p.pipeline).width, height: p.height ?? generationDefaults(p.pipeline).height }))
  .superRefine((p, ctx) => {
    const multiple = TWO_STAGE_PIPELINES.includes(p.pipeline) ? 64 : 32;
    for (const side of ["width", "height"] as const) {
      if (p[side] % multiple !== 0) {
        ctx.addIssue({ code: "custom", path: [side], message: `must be a multiple of ${multiple} for ${p.pipeline}` });
      }
    }
    if (p.width * p.height > LIMITS.maxPixels) {
      ctx.addIssue({ code: "custom", path: ["width"], message: `width x height must be at most ${LIMITS.maxPixels} pixels` });
    }
    if ((p.num_frames - 1) % 8 !== 0) {
      ctx.addIssue({ code: "custom", path: ["num_frames"], message: "must be 8k+1 (1, 9, 17, ..., 121, ...)" });
    } else if (audioLatentFrames(p.num_frames, p.fps) < 1) {
      // The library refuses it too (no audio latent frame); here before a job exists.
      ctx.addIssue({ code: "custom", path: ["num_frames"], message: `${p.num_frames} frames at ${p.fps} fps is shorter than one audio latent frame (40 ms, rounded); use more frames or a lower fps` });
    }
    if (UNGUIDED_PIPELINES.includes(p.pipeline)) {
      for (const key of ["negative_prompt", "video_guidance", "audio_guidance", "steps"] as const) {
        if (p[key] !== undefined) {
          ctx.addIssue({ code: "custom", path: [key], message: `${p.pipeline} uses the distilled model's fixed schedule and no guidance; remove ${key}` });
        }
      }
    }
  })
  .openapi("GenerationParams");

export type GenerationParams = z.output<typeof GenerationParamsSchema>;
