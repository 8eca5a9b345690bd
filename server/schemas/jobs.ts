// /api/v1/videos request and response schemas. The generation parameters themselves are GenerationParamsSchema
// (the same schema as presets); the request adds what a job needs around them.
import { PageQuery } from "../http/pagination.js";
import { JOB_STATES } from "../jobs/stateMachine.js";
import { TIER_IDS } from "../billing/pricing.js";
import { DEFAULT_PIPELINE, GuidanceSchema, LIMITS, PIPELINES } from "./generationParams.js";
import { Timestamp } from "./common.js";
import { z } from "./zod.js";

export const JOB_LIMITS = {
  maxWebhookUrlChars: 2048,
  maxImages: 8,
  maxLoras: 4,
  maxLoraNameChars: 200,
} as const;

export const ImageRef = z
  .object({
    upload_id: z.uuid().openapi({ description: "an image you uploaded with POST /api/v1/uploads" }),
    frame_index: z.number().int().min(0).max(LIMITS.maxFrames - 1).default(0),
    strength: z.number().min(0).max(1).default(1),
  })
  .strict()
  .openapi("ImageConditioning");

export const LoraRef = z
  .object({
    upload_id: z.uuid().optional().openapi({ description: "a LoRA you uploaded" }),
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+\.safetensors$/, "a file name in the server's LoRA folder, e.g. camera-dolly.safetensors")
      .max(JOB_LIMITS.maxLoraNameChars)
      .optional()
      .openapi({ description: "a LoRA installed on the server (by reference)" }),
    strength: z.number().min(-2).max(2).default(1),
  })
  .strict()
  .refine((l) => (l.upload_id === undefined) !== (l.name === undefined), { message: "give exactly one of upload_id and name" })
  .openapi("LoraReference");

export const GenerateBody = z
  .object({
    prompt: z.string().min(1).max(LIMITS.maxPromptChars),
    negative_prompt: z.string().max(LIMITS.maxPromptChars).optional(),
    enhance_prompt: z.boolean().optional().openapi({ description: "let Gemma rewrite the prompt before encoding (upstream --enhance-prompt; from the frame-0 image too, if any), seeded by seed; the rewrite is in the result's enhanced_prompt" }),
    pipeline: z.enum(PIPELINES).optional().openapi({ description: `default: the preset's, or ${DEFAULT_PIPELINE} (as the CLI and the library)` }),
    preset_id: z.uuid().optional().openapi({ description: "start from this preset's parameters; fields given here override it" }),
    width: z.number().int().min(LIMITS.minSide).max(LIMITS.maxSide).optional(),
    height: z.number().int().min(LIMITS.minSide).max(LIMITS.maxSide).optional(),
    num_frames: z.number().int().min(LIMITS.minFrames).max(LIMITS.maxFrames).optional(),
    fps: z.number().min(LIMITS.minFps).max(LIMITS.maxFps).optional(),
    steps: z.number().int().min(1).max(LIMITS.maxSteps).optional(),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    video_guidance: GuidanceSchema.optional(),
    audio_guidance: GuidanceSchema.optional(),
    images: z.array(ImageRef).max(JOB_LIMITS.maxImages).optional(),
    loras: z.array(LoraRef).max(JOB_LIMITS.maxLoras).optional(),
    project_id: z.uuid().optional(),
    priority: z.number().int().min(0).max(10).default(0).openapi({ description: "0-10 within your tier; higher is claimed first" }),
    tier: z.enum(TIER_IDS).default("standard"),
    webhook_url: z
      .url({ protocol: /^https?$/ })
      .max(JOB_LIMITS.maxWebhookUrlChars)
      .optional()
      .openapi({ description: "POSTed (Standard Webhooks signature) when the job completes or fails; private addresses are refused" }),
  })
  .strict()
  .openapi("GenerateVideoRequest");
export type GenerateInput = z.output<typeof GenerateBody>;

export const GenerateHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^"?[\x21-\x7e]{8,255}"?$/, "8 to 255 visible ASCII characters (a UUID is recommended)")
    .optional()
    .openapi({ description: "Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the same key and body return the same job for 24 h" }),
  prefer: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "wait=N (N <= 60): answer when the job finishes within N seconds (201), else 202 with its current state" }),
});

const Cost = z.object({
  estimated_micros: z.number().int().nullable(),
  actual_micros: z.number().int().nullable(),
  gpu_seconds: z.number().nullable(),
  tier: z.string(),
});

export const JobSchema = z
  .object({
    id: z.uuid(),
    object: z.literal("video.job"),
    status: z.enum(JOB_STATES),
    progress: z.number().int().min(0).max(100),
    eta_seconds: z.number().min(0).nullable().openapi({ description: "seconds until the running generation is expected to end, from the pipeline's work plan and its rate so far; null when not running" }),
    stage: z.string().nullable(),
    queue_position: z.number().int().nullable(),
    attempt: z.number().int(),
    project_id: z.uuid().nullable(),
    priority: z.number().int(),
    params: z.record(z.string(), z.unknown()),
    created_at: Timestamp,
    queued_at: Timestamp.nullable(),
    started_at: Timestamp.nullable(),
    completed_at: Timestamp.nullable(),
    expires_at: Timestamp.nullable(),
    timings: z.object({ queue_seconds: z.number().nullable(), run_seconds: z.number().nullable() }),
    cost: Cost,
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    result: z
      .object({
        width: z.number().int(),
        height: z.number().int(),
        frames: z.number().int(),
        fps: z.number(),
        duration_seconds: z.number(),
        bytes: z.number().int(),
        seed: z.number().int().optional(),
        enhanced_prompt: z.string().optional().openapi({ description: "the prompt Gemma wrote and the video was generated from (enhance_prompt jobs)" }),
      })
      .nullable(),
    urls: z.object({ self: z.string(), cancel: z.string(), events: z.string(), download: z.string() }),
  })
  .openapi("VideoJob");
export type JobView = z.infer<typeof JobSchema>;

export const ListJobsQuery = PageQuery.extend({
  status: z
    .string()
    .max(200)
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      const list = s.split(",").map((x) => x.trim()).filter(Boolean);
      for (const x of list) if (!(JOB_STATES as readonly string[]).includes(x)) ctx.addIssue({ code: "custom", message: `unknown state ${x}` });
      return list;
    })
    .openapi({ description: "comma-separated states, e.g. processing,approved" }),
  project_id: z.uuid().optional(),
}).strict();

export const EventsQuery = z
  .object({ last_event_id: z.coerce.number().int().min(0).optional().openapi({ description: "same as the Last-Event-ID header" }) })
  .strict();
