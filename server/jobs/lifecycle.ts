// Settling jobs: completion (with its result row, billing charge and webhook in one transaction), failure with
// retry and backoff, cancellation, lease reclaim, shutdown release and expiry. Every change is a
// JobsRepository.transition() (legal per stateMachine.ts, one job_events row, fenced by attempt for workers).
import { EventEmitter } from "node:events";
import type { Knex } from "knex";
import type { Logger } from "pino";
import { costMicros } from "../billing/pricing.js";
import { cappedCharge, jobAllowance } from "../billing/budgetGuard.js";
import { lockUserSubmissions } from "./quotas.js";
import type { JobsConfig } from "../config.js";
import type { Metrics } from "../metrics.js";
import type { BillingRepository } from "../repositories/billingRepository.js";
import type { JobRow, JobsRepository } from "../repositories/jobsRepository.js";
import type { WebhooksRepository } from "../repositories/webhooksRepository.js";
import type { WorkersRepository } from "../repositories/workersRepository.js";
import type { Storage } from "./storage.js";
import { jobView } from "./view.js";

type Db = Knex | Knex.Transaction;
type TransitionPatch = Partial<Record<keyof JobRow, unknown>>;

/** A worker's claim on one attempt: every settle carries it (the fence). */
export interface Hold {
  jobId: string;
  attempt: number;
  workerId: string;
}

export interface CompletionInput {
  outputPath: string;
  bytes: number;
  gpuSeconds: number;
  device: string;
  result: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2)); // "equal jitter"
}

export class JobLifecycle {
  /** Cancel requests for jobs held by workers of this process (the API and in-process workers share it). */
  readonly cancels = new EventEmitter();

  constructor(
    private readonly db: Knex,
    private readonly jobs: JobsRepository,
    private readonly billing: BillingRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly workers: WorkersRepository,
    private readonly storage: Storage,
    private readonly config: JobsConfig,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.cancels.setMaxListeners(0);
  }

  private pipeline = (j: JobRow) => String(j.params.pipeline ?? "unknown");

  private async notify(trx: Db, job: JobRow, type: "job.completed" | "job.failed"): Promise<void> {
    if (!job.webhook_url) return;
    const view = jobView(job);
    await this.webhooks.enqueue(trx, {
      userId: job.user_id,
      jobId: job.id,
      url: job.webhook_url,
      eventType: type,
      payload: { type, timestamp: new Date().toISOString(), data: { ...view, params: undefined } },
    });
  }

  private finished(job: JobRow): void {
    this.metrics?.jobsFinished.inc({ pipeline: this.pipeline(job), status: job.status, error_code: job.error_code ?? "" });
  }

  /**
   * finalizing -> completed for the held attempt, with the result row, the charge and the webhook in the same
   * transaction. Returns false (and writes nothing) when the fence refuses: the attempt is no longer held.
   */
  async complete(h: Hold, input: CompletionInput): Promise<boolean> {
    const done = await this.db.transaction(async (trx) => {
      const current = await trx<JobRow>("jobs").where({ id: h.jobId }).forUpdate().first();
      if (!current || current.attempt !== h.attempt || current.worker_id !== h.workerId || current.status !== "finalizing") return undefined;
      // Actual spending stays within the budget: the charge is capped at what is left of it (budgetGuard.ts),
      // under the user's budget lock so that two completions cannot both use the same remainder.
      await lockUserSubmissions(trx, current.user_id);
      const computed = costMicros(input.gpuSeconds, current.pricing_tier);
      const cost = await cappedCharge(trx, this.billing, current.user_id, computed);
      const job = await this.jobs.transition(trx, h.jobId, "finalizing", "completed", {
        attempt: h.attempt,
        workerId: h.workerId,
        reason: "completed",
        details: { gpu_seconds: input.gpuSeconds, device: input.device, ...(cost < computed ? { cost_micros: computed, waived_over_budget_micros: computed - cost } : {}) },
        patch: {
          progress: 100,
          stage: "done",
          result: { ...input.result, bytes: input.bytes },
          gpu_seconds: input.gpuSeconds,
          actual_cost_micros: cost,
          completed_at: trx.fn.now(),
          expires_at: trx.raw("now() + make_interval(secs => ?)", [this.config.outputTtlMs / 1000]),
          lease_expires_at: null,
        },
      });
      if (!job) return undefined;
      await this.workers.insertResult(trx, { jobId: h.jobId, attempt: h.attempt, workerId: h.workerId, outputPath: input.outputPath, bytes: input.bytes, metadata: input.metadata });
      await this.billing.charge(trx, { userId: job.user_id, jobId: job.id, amountMicros: cost, description: `${this.pipeline(job)} ${Number(input.gpuSeconds.toFixed(3))} GPU-s (${job.pricing_tier})` });
      await this.notify(trx, job, "job.completed");
      return job;
    });
    if (!done) return false;
    this.finished(done);
    this.metrics?.gpuSeconds.inc({ pipeline: this.pipeline(done), device: input.device }, input.gpuSeconds);
    this.metrics?.costMicros.inc({ tier: done.pricing_tier }, Number(done.actual_cost_micros ?? 0));
    if (done.started_at) this.metrics?.jobRunSeconds.observe({ pipeline: this.pipeline(done) }, (Date.now() - new Date(done.started_at).getTime()) / 1000);
    return true;
  }

  /** What the job may still cost before its user's monthly budget is used up (Infinity without a budget). */
  budgetAllowance(job: JobRow): Promise<number> {
    return jobAllowance(this.db, this.billing, job.user_id, job.id);
  }

  /** A worker moves its held attempt along the pipeline (processing -> qa_check -> finalizing, or back for QA). */
  async toState(h: Hold, from: JobRow["status"], to: JobRow["status"], patch: TransitionPatch, reason: string, details?: Record<string, unknown>): Promise<boolean> {
    const r = await this.db.transaction((trx) => this.jobs.transition(trx, h.jobId, from, to, { attempt: h.attempt, workerId: h.workerId, reason, details, patch }));
    return r !== undefined;
  }

  /** A worker's attempt failed: back to the queue with backoff when retryable and attempts remain, else failed. */
  async fail(h: Hold, from: JobRow["status"], code: string, message: string, retryable: boolean): Promise<JobRow | undefined> {
    return this.db.transaction(async (trx) => {
      const job = await trx<JobRow>("jobs").where({ id: h.jobId }).forUpdate().first();
      if (!job || job.attempt !== h.attempt || job.worker_id !== h.workerId || job.status !== from) return undefined;
      if (retryable && job.attempt < job.max_attempts) {
        const delay = backoffMs(job.attempt, this.config.retryBaseMs, this.config.retryMaxMs);
        return this.jobs.transition(trx, h.jobId, from, "approved", {
          attempt: h.attempt,
          workerId: h.workerId,
          reason: "retry",
          details: { error_code: code, error_message: message.slice(0, 500), retry_in_ms: delay },
          patch: { worker_id: null, lease_expires_at: null, progress: 0, stage: "queued", error_code: code, error_message: message.slice(0, 1000), next_run_at: trx.raw("now() + make_interval(secs => ?)", [delay / 1000]) },
        });
      }
      const failed = await this.jobs.transition(trx, h.jobId, from, "failed", {
        attempt: h.attempt,
        workerId: h.workerId,
        reason: retryable ? "attempts exhausted" : "permanent error",
        details: { error_code: code },
        patch: { error_code: code, error_message: message.slice(0, 1000), completed_at: trx.fn.now(), lease_expires_at: null },
      });
      if (failed) {
        await this.notify(trx, failed, "job.failed");
        this.finished(failed);
      }
      return failed;
    });
  }

  /** The worker stopped the pipeline after a cancel request: cancelled, nothing charged. */
  async workerCancelled(h: Hold, from: JobRow["status"]): Promise<JobRow | undefined> {
    const job = await this.db.transaction((trx) =>
      this.jobs.transition(trx, h.jobId, from, "cancelled", {
        attempt: h.attempt,
        workerId: h.workerId,
        reason: "cancelled by user",
        details: { stopped_by: h.workerId },
        patch: { completed_at: trx.fn.now(), lease_expires_at: null, stage: "cancelled" },
      }),
    );
    if (job) this.finished(job);
    return job;
  }

  /** Graceful shutdown gave up waiting: back to the queue at once; the attempt is not counted against it. */
  async release(h: Hold, from: JobRow["status"]): Promise<JobRow | undefined> {
    return this.db.transaction((trx) =>
      this.jobs.transition(trx, h.jobId, from, "approved", {
        attempt: h.attempt,
        workerId: h.workerId,
        reason: "released at worker shutdown",
        patch: { worker_id: null, lease_expires_at: null, progress: 0, stage: "queued", next_run_at: trx.fn.now(), max_attempts: trx.raw("max_attempts + 1") },
      }),
    );
  }

  /** Jobs whose lease expired (their worker crashed or hung): back to the queue, or failed when out of attempts. */
  async reclaimExpired(limit = 50): Promise<number> {
    const settled = await this.db.transaction(async (trx) => {
      const rows = await this.jobs.expiredLeases(trx, limit);
      const out: Array<JobRow & { lost_worker: string | null }> = [];
      for (const j of rows) {
        // The user sees that a worker was lost, not which one: worker ids name the host and process id. The id stays
        // in the job's events (not shown to users) and in the log line below.
        const lost = { error_code: "infra.worker_lost", error_message: "the worker running the job stopped renewing its lease" };
        if (j.attempt < j.max_attempts) {
          const r = await this.jobs.transition(trx, j.id, j.status, "approved", {
            reason: "lease expired",
            details: { worker_id: j.worker_id, attempt: j.attempt },
            patch: { ...lost, worker_id: null, lease_expires_at: null, progress: 0, stage: "queued", next_run_at: trx.fn.now() },
          });
          if (r) out.push({ ...r, lost_worker: j.worker_id });
        } else {
          const r = await this.jobs.transition(trx, j.id, j.status, "failed", {
            reason: "lease expired, attempts exhausted",
            details: { worker_id: j.worker_id },
            patch: { ...lost, lease_expires_at: null, completed_at: trx.fn.now() },
          });
          if (r) {
            await this.notify(trx, r, "job.failed");
            out.push({ ...r, lost_worker: j.worker_id });
          }
        }
      }
      return out;
    });
    for (const j of settled) {
      if (j.status === "failed") this.finished(j);
      this.logger.warn({ job: j.id, attempt: j.attempt, status: j.status, worker: j.lost_worker }, "reclaimed a job whose lease expired");
    }
    return settled.length;
  }

  /** Outputs past retention (completed -> expired, files removed) and jobs that waited past the queue deadline. */
  async expireDue(limit = 100): Promise<number> {
    const expired = await this.db.transaction(async (trx) => {
      const rows = await this.jobs.dueForExpiry(trx, limit);
      const out: JobRow[] = [];
      for (const j of rows) {
        const r = await this.jobs.transition(trx, j.id, j.status, "expired", {
          reason: j.status === "completed" ? "output retention ended" : "waited in the queue past its deadline",
          patch: j.status === "approved" ? { error_code: "queue.expired", error_message: "not started before its deadline", completed_at: trx.fn.now() } : {},
        });
        if (r) out.push({ ...r, status: j.status });
      }
      return out;
    });
    for (const j of expired) if (j.status === "completed") this.storage.removeJob(j.id);
    return expired.length;
  }
}
