// Per-user quotas on video jobs, so one account cannot take the whole GPU fleet (issue 27 item 3):
//   - unstarted jobs (received, planning, approved) at most JOB_MAX_QUEUED_PER_USER: checked at submit;
//   - GPU-seconds per UTC day at most JOB_MAX_GPU_SECONDS_PER_USER_PER_DAY: what the day's finished jobs used
//     plus the estimates of unfinished jobs plus this one, checked at submit;
//   - jobs running at once at most JOB_MAX_RUNNING_PER_USER: enforced when a worker claims (jobsRepository);
//   - the same three per pricing tier (JOB_TIER_QUOTAS, e.g. fewer priority jobs: they jump the queue).
// Submit checks run inside the submitting transaction under the user's advisory lock (the budget check's lock),
// so concurrent submissions cannot pass them together. A refusal is 429 quota_exceeded naming the limit and
// saying when it frees up.
import type { Knex } from "knex";
import { tier } from "../billing/pricing.js";
import { ApiError } from "../http/problem.js";

export const UNSTARTED_STATES = ["received", "planning", "approved"] as const;
const UNFINISHED_STATES = ["received", "planning", "approved", "processing", "qa_check", "finalizing"] as const;

/** Limits of one pricing tier's jobs per user (JOB_TIER_QUOTAS), on top of the user-wide ones. */
export interface TierQuota {
  queued?: number;
  running?: number;
  gpu_seconds_per_day?: number;
}

export interface SubmitQuotas {
  maxQueuedPerUser: number;
  maxGpuSecondsPerUserPerDay: number;
  tierQuotas: Readonly<Record<string, TierQuota>>;
}

/** Takes the user's submit lock for the rest of the transaction (shared with the budget check). */
export async function lockUserSubmissions(trx: Knex.Transaction, userId: string): Promise<void> {
  await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`budget:${userId}`]);
}

const nextUtcMidnight = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));

/** Throws 429 when this submission would pass one of the user's quotas, user-wide or of the job's tier. */
export async function checkSubmitQuotas(trx: Knex.Transaction, userId: string, tierId: string, estimateGpuSeconds: number, q: SubmitQuotas, now = new Date()): Promise<void> {
  const t = q.tierQuotas[tierId] ?? {};
  const limits: Array<[string, number, string | undefined]> = [["", q.maxQueuedPerUser, undefined]];
  if (t.queued !== undefined) limits.push([`:${tierId}`, t.queued, tierId]);
  for (const [suffix, max, only] of limits) {
    const query = trx("jobs").where({ user_id: userId }).whereIn("status", UNSTARTED_STATES);
    if (only) query.where({ pricing_tier: only });
    const queued = Number((await query.count({ n: "*" }).first())?.n ?? 0);
    if (queued >= max) {
      throw new ApiError(429, "quota_exceeded", `You have ${queued} ${only ? `${only}-tier ` : ""}jobs waiting to start, the limit (queued-jobs${suffix}) is ${max}; it frees up as they start, finish or are cancelled`,
        { "violated-policies": [`queued-jobs${suffix}`] }, { "Retry-After": "30" });
    }
  }
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const finishedToday = (await trx("jobs").where({ user_id: userId }).andWhere("completed_at", ">=", dayStart).select("gpu_seconds", "pricing_tier")) as Array<{ gpu_seconds: number | null; pricing_tier: string }>;
  // Unfinished jobs count with their estimate (price per GPU-second of their tier).
  const open = (await trx("jobs").where({ user_id: userId }).whereIn("status", UNFINISHED_STATES).select("estimated_cost_micros", "pricing_tier")) as Array<{ estimated_cost_micros: number | null; pricing_tier: string }>;
  const seconds: Array<[string, number, string | undefined]> = [["", q.maxGpuSecondsPerUserPerDay, undefined]];
  if (t.gpu_seconds_per_day !== undefined) seconds.push([`:${tierId}`, t.gpu_seconds_per_day, tierId]);
  for (const [suffix, max, only] of seconds) {
    const used = finishedToday.filter((j) => !only || j.pricing_tier === only).reduce((sum, j) => sum + Number(j.gpu_seconds ?? 0), 0);
    const reserved = open
      .filter((j) => !only || j.pricing_tier === only)
      .reduce((sum, j) => sum + Number(j.estimated_cost_micros ?? 0) / tier(j.pricing_tier).price_per_gpu_second_micros, 0);
    if (used + reserved + estimateGpuSeconds > max) {
      const reset = nextUtcMidnight(now);
      throw new ApiError(429, "quota_exceeded",
        `This job (about ${Math.ceil(estimateGpuSeconds)} GPU-seconds) would pass your daily ${only ? `${only}-tier ` : ""}limit (gpu-seconds-per-day${suffix}) of ${max} GPU-seconds: ${Math.ceil(used)} used and ${Math.ceil(reserved)} reserved by unfinished jobs today; it resets at ${reset.toISOString()}`,
        { "violated-policies": [`gpu-seconds-per-day${suffix}`], resets_at: reset.toISOString() },
        { "Retry-After": String(Math.max(1, Math.ceil((reset.getTime() - now.getTime()) / 1000))) });
    }
  }
}
