// Costs, pricing, invoices, budgets, statistics and alerts.
import { TIER_IDS } from "../billing/pricing.js";
import { GenerateBody } from "./jobs.js";
import { z } from "./zod.js";

export const EstimateBody = GenerateBody.pick({
  prompt: true,
  negative_prompt: true,
  enhance_prompt: true,
  pipeline: true,
  preset_id: true,
  width: true,
  height: true,
  num_frames: true,
  fps: true,
  steps: true,
  seed: true,
  video_guidance: true,
  audio_guidance: true,
  tier: true,
})
  .extend({ device: z.string().regex(/^[A-Za-z0-9:_. -]{1,100}$/).optional().openapi({ description: "device profile to price on (default: the latest measured)" }) })
  .strict()
  .openapi("EstimateCostRequest");

export const EstimateSchema = z
  .object({
    params: z.record(z.string(), z.unknown()),
    work: z.object({
      latent_tokens: z.number(),
      steps: z.number(),
      guidance_passes: z.number(),
      transformer_flops: z.number(),
      text_encoder_flops: z.number(),
      vae_flops: z.number(),
      total_flops: z.number(),
    }),
    device: z.string(),
    profile_measured: z.boolean(),
    gpu_seconds: z.number(),
    tier: z.string(),
    cost_micros: z.number().int(),
    by_tier: z.array(z.object({ tier: z.string(), cost_micros: z.number().int() })),
  })
  .openapi("CostEstimate");

export const TierSchema = z
  .object({ id: z.enum(TIER_IDS), name: z.string(), description: z.string(), price_per_gpu_second_micros: z.number().int(), priority_boost: z.number().int() })
  .openapi("PricingTier");

export const TiersSchema = z
  .object({ currency_unit: z.string(), tiers: z.array(TierSchema), volume_discounts: z.array(z.object({ from_micros: z.number().int(), percent: z.number() })) })
  .openapi("PricingTiers");

export const InvoiceBody = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    user_id: z.uuid().optional().openapi({ description: "administrators only; default: yourself" }),
  })
  .strict()
  .refine((b) => new Date(b.from) < new Date(b.to), { message: "from must be before to", path: ["to"] })
  .refine((b) => new Date(b.to).getTime() - new Date(b.from).getTime() <= 366 * 86_400_000, { message: "at most one year", path: ["to"] })
  .openapi("InvoiceRequest");

export const InvoiceSchema = z
  .object({
    user_id: z.uuid(),
    period: z.object({ from: z.string(), to: z.string() }),
    lines: z.array(
      z.object({
        transaction_id: z.uuid(),
        job_id: z.uuid().nullable(),
        kind: z.string(),
        description: z.string().nullable(),
        pipeline: z.string().nullable(),
        tier: z.string().nullable(),
        gpu_seconds: z.number().nullable(),
        amount_micros: z.number().int(),
        created_at: z.string(),
      }),
    ),
    jobs_charged: z.number().int(),
    gpu_seconds: z.number(),
    subtotal_micros: z.number().int(),
    discount_percent: z.number(),
    discount_micros: z.number().int(),
    total_micros: z.number().int(),
  })
  .openapi("Invoice");

export const BudgetSchema = z
  .object({ monthly_limit_micros: z.number().int().nullable(), spent_this_month_micros: z.number().int(), period_start: z.string() })
  .openapi("Budget");

export const SetBudgetBody = z
  .object({ monthly_limit_micros: z.number().int().min(0).max(1e15).nullable().openapi({ description: "null removes the budget" }) })
  .strict()
  .openapi("SetBudgetRequest");

export const DeviceProfileBody = z
  .object({
    transformer_tflops: z.number().positive().max(100_000),
    vae_tflops: z.number().positive().max(100_000),
    overhead_seconds: z.number().min(0).max(3600).default(0),
  })
  .strict()
  .openapi("DeviceProfileRequest");
export const DeviceParams = z.object({ device: z.string().regex(/^[A-Za-z0-9:_. -]{1,100}$/) }).strict();

const Pct = z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() });
export const StatsQuery = z.object({ period: z.enum(["hour", "day", "week", "month"]).default("day") }).strict();
export const StatsSchema = z
  .object({
    scope: z.enum(["own", "all"]),
    period: z.string(),
    since: z.string(),
    counts_by_state: z.record(z.string(), z.number()),
    finished_in_period: z.record(z.string(), z.number()),
    throughput_per_hour: z.number(),
    queue_wait_seconds: Pct,
    run_seconds: Pct,
    gpu_seconds: z.number(),
    cost_per_day: z.array(z.object({ day: z.string(), amount_micros: z.number(), transactions: z.number() })),
    cost_total_micros: z.number(),
  })
  .openapi("JobStats");

export const AlertsSchema = z
  .object({
    alerts: z.array(z.object({ id: z.string(), severity: z.enum(["warning", "critical"]), summary: z.string(), value: z.number(), threshold: z.number() })),
    checked_at: z.string(),
  })
  .openapi("Alerts");
