// Per-user quotas on video jobs, so one account cannot take the whole GPU fleet (issue 27 item 3):
//   - unstarted jobs (received, planning, approved) at most JOB_MAX_QUEUED_PER_USER: checked at submit;
//   - GPU-seconds per UTC day at most JOB_MAX_GPU_SECONDS_PER_USER_PER_DAY: what the day's finished jobs used
//     plus the estimates of unfinished jobs plus this one, checked at submit;
//   - jobs running at once at most JOB_MAX_RUNNING_PER_USER: enforced when a worker claims (jobsRepository).
// Submit checks run inside the submitting transaction under the user's advisory lock (the budget check's lock),
// so concurrent submissions cannot pass them together. A refusal is 429 quota_exceeded naming the limit and
// saying when it frees up.
import type { Knex } from "knex";
import { tier } from "../billing/pricing.js";
import { ApiError } from "../http/problem.js";

export const UNSTARTED_STATES = ["received", "planning", "approved"] as const;
const UNFINISHED_STATES = ["received", "planning", "approved", "processing", "qa_check", "finalizing"] as const;

export interface SubmitQuotas {
  maxQueuedPerUser: number;
  maxGpuSecondsPerUserPerDay: number;
}

/** Takes the user's submit lock for the rest of the transaction (shared with the budget check). */
export async function lockUserSubmissions(trx: Knex.Transaction, userId: string): Promise<void> {
  await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`budget:${userId}`]);
}

const nextUtcMidnight = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));

/** Throws 429 when this submission would pass one of the user's quotas. */
export async function checkSubmitQuotas(trx: Knex.Transaction, userId: string, estimateGpuSeconds: number, q: SubmitQuotas, now = new Date()): Promise<void> {
  const queued = Number((await trx("jobs").where({ user_id: userId }).whereIn("status", UNSTARTED_STATES).count({ n: "*" }).first())?.n ?? 0);
  if (queued >= q.maxQueuedPerUser) {
    throw new ApiError(429, "quota_exceeded", `You have ${queued} jobs waiting to start, the limit (queued-jobs) is ${q.maxQueuedPerUser}; it frees up as they start, finish or are cancelled`,
      { "violated-policies": ["queued-jobs"] }, { "Retry-After": "30" });
  }
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const used = Number((await trx("jobs").where({ user_id: userId }).andWhere("completed_at", ">=", dayStart).sum({ s: "gpu_seconds" }).first())?.s ?? 0);
  // Unfinished jobs count with their estimate (price per GPU-second of their tier).
  const open = (await trx("jobs").where({ user_id: userId }).whereIn("status", UNFINISHED_STATES).select("estimated_cost_micros", "pricing_tier")) as Array<{ estimated_cost_micros: number | null; pricing_tier: string }>;
  const reserved = open.reduce((s, j) => s + Number(j.estimated_cost_micros ?? 0) / tier(j.pricing_tier).price_per_gpu_second_micros, 0);
  if (used + reserved + estimateGpuSeconds > q.maxGpuSecondsPerUserPerDay) {
    const reset = nextUtcMidnight(now);
    throw new ApiError(429, "quota_exceeded",
      `This job (about ${Math.ceil(estimateGpuSeconds)} GPU-seconds) would pass your daily limit (gpu-seconds-per-day) of ${q.maxGpuSecondsPerUserPerDay} GPU-seconds: ${Math.ceil(used)} used and ${Math.ceil(reserved)} reserved by unfinished jobs today; it resets at ${reset.toISOString()}`,
      { "violated-policies": ["gpu-seconds-per-day"], resets_at: reset.toISOString() },
      { "Retry-After": String(Math.max(1, Math.ceil((reset.getTime() - now.getTime()) / 1000))) });
  }
}
