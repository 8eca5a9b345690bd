// Video jobs as the API sees them: submit (Idempotency-Key, planning, budget, Prefer: wait), read, list, cancel,
// delete. Every job is scoped to its owner: another user's job is "not found".
import { createHash } from "node:crypto";
import type { Request } from "express";
import type { Knex } from "knex";
import type { Logger } from "pino";
import type { JobsConfig } from "../config.js";
import type { Principal } from "../http/context.js";
import type { CursorCodec } from "../http/pagination.js";
import { ApiError, notFound } from "../http/problem.js";
import type { JobLifecycle } from "../jobs/lifecycle.js";
import { Planner } from "../jobs/planner.js";
import { checkSubmitQuotas, lockUserSubmissions } from "../jobs/quotas.js";
import { JobWaiters } from "../jobs/waiters.js";
import { isFinished, LEASED_STATES } from "../jobs/stateMachine.js";
import type { Storage } from "../jobs/storage.js";
import { jobView } from "../jobs/view.js";
import type { Metrics } from "../metrics.js";
import type { BillingRepository } from "../repositories/billingRepository.js";
import type { IdempotencyRepository } from "../repositories/idempotencyRepository.js";
import type { JobRow, JobsRepository } from "../repositories/jobsRepository.js";
import type { UploadsRepository } from "../repositories/uploadsRepository.js";
import type { GenerateInput, JobView } from "../schemas/jobs.js";
import { resolveSafe } from "../webhooks/ssrf.js";
import type { CostService } from "./costService.js";
import { tier as tierOf } from "../billing/pricing.js";

export const MAX_WAIT_SECONDS = 60;

export interface SubmitOutcome {
  status: number;
  body: JobView;
  headers: Record<string, string>;
}

/** RFC 7240 `Prefer: wait=N`, capped at 60 s. */
export function parsePreferWait(prefer: string | undefined): number | undefined {
  const m = /(?:^|[,;\s])wait=(\d{1,6})(?:$|[,;\s])/.exec(prefer ?? "");
  return m ? Math.min(MAX_WAIT_SECONDS, Number(m[1])) : undefined;
}

const fingerprint = (body: unknown) => createHash("sha256").update("POST /api/v1/videos/generate\n").update(JSON.stringify(body)).digest("hex");

export class JobService {
  private readonly planner: Planner;
  private readonly drainController = new AbortController();
  private readonly drainSignal = this.drainController.signal;
  private readonly waiters: JobWaiters;

  /** Set while the server shuts down: waits return early. */
  get draining(): boolean {
    return this.drainSignal.aborted;
  }
  set draining(on: boolean) {
    if (on) this.drainController.abort();
  }

  constructor(
    private readonly db: Knex,
    private readonly repos: { jobs: JobsRepository; billing: BillingRepository; idempotency: IdempotencyRepository; uploads: UploadsRepository },
    private readonly lifecycle: JobLifecycle,
    costs: CostService,
    private readonly cursors: CursorCodec,
    private readonly storage: Storage,
    private readonly config: JobsConfig,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.waiters = new JobWaiters((ids) => repos.jobs.statuses(ids), { perUser: config.maxWaitingPerUser, total: config.maxWaitingTotal, pollMs: 250 });
    this.planner = new Planner(db, repos.jobs, repos.billing, repos.uploads, costs, (name) => storage.loraPath(name));
    if (metrics) {
      metrics.collectors.jobsByState = async (g) => {
        const counts = await this.repos.jobs.countByStatus();
        g.reset();
        for (const [state, n] of Object.entries(counts)) g.set({ state }, n);
      };
    }
  }

  async view(j: JobRow): Promise<JobView> {
    return jobView(j, j.status === "approved" ? await this.repos.jobs.queuePosition(j) : null);
  }

  async submit(req: Request, who: Principal, body: GenerateInput, idemKey: string | undefined, prefer: string | undefined): Promise<SubmitOutcome> {
    const key = idemKey?.replace(/^"|"$/g, "");
    const wait = parsePreferWait(prefer);
    if (key) {
      const fp = fingerprint(body);
      if (!(await this.repos.idempotency.claim(who.user.id, key, fp, this.config.idempotencyTtlSeconds))) {
        const prior = await this.repos.idempotency.find(who.user.id, key);
        if (prior && prior.fingerprint !== fp) {
          this.metrics?.idempotentReplays.inc({ outcome: "mismatch" });
          throw new ApiError(422, "idempotency_key_mismatch", "This Idempotency-Key was used with a different request body");
        }
        if (!prior || prior.status === "in_progress") {
          this.metrics?.idempotentReplays.inc({ outcome: "conflict" });
          throw new ApiError(409, "idempotency_key_in_use", "A request with this Idempotency-Key is still being processed; retry later", {}, { "Retry-After": "1" });
        }
        this.metrics?.idempotentReplays.inc({ outcome: "replayed" });
        if (prior.response_code !== null && prior.response_code >= 400) {
          const stored = prior.response_body as { code?: string; detail?: string; job_id?: string };
          throw new ApiError(prior.response_code, (stored.code ?? "conflict") as never, stored.detail, stored.job_id ? { job_id: stored.job_id } : {}, { "Idempotent-Replayed": "true" });
        }
        const job = prior.job_id ? await this.repos.jobs.findOwned(who.user.id, prior.job_id) : undefined;
        if (!job) throw notFound("Job");
        return this.answer(req, job, wait, { "Idempotent-Replayed": "true" });
      }
    }
    try {
      const job = await this.create(req, who, body, key);
      return await this.answer(req, job, wait, {});
    } catch (e) {
      // Refused before acceptance (validation, unknown preset, SSRF...): the key is not consumed.
      if (key && !(e instanceof ApiError && e.code === "budget_exceeded")) await this.repos.idempotency.release(who.user.id, key).catch(() => undefined);
      throw e;
    }
  }

  private async create(req: Request, who: Principal, body: GenerateInput, key: string | undefined): Promise<JobRow> {
    if (body.webhook_url) {
      try {
        await resolveSafe(new URL(body.webhook_url), this.config.webhookAllowPrivate);
      } catch (e) {
        throw new ApiError(422, "validation_failed", `webhook_url: ${(e as Error).message}`, { errors: [{ pointer: "/webhook_url", in: "body", message: (e as Error).message }] });
      }
    }
    const plan = await this.planner.prepare(who, body);
    const tier = tierOf(body.tier);
    const outcome = await this.db.transaction(async (trx) => {
      // Quotas first, under the user's submit lock: a refusal creates no job (quotas.ts).
      await lockUserSubmissions(trx, who.user.id);
      await checkSubmitQuotas(trx, who.user.id, tier.id, plan.estimate.gpu_seconds, this.config);
      let job = await this.repos.jobs.insert(trx, {
        user_id: who.user.id,
        project_id: body.project_id ?? null,
        api_key_id: who.kind === "api_key" ? who.apiKeyId : null,
        params: plan.stored,
        priority: body.priority + tier.priority_boost,
        pricing_tier: tier.id,
        max_attempts: this.config.maxAttempts,
        webhook_url: body.webhook_url ?? null,
      });
      job = (await this.repos.jobs.transition(trx, job.id, "received", "planning", { reason: "planning" })) as JobRow;
      const over = await this.planner.overBudget(trx, who.user.id, plan.estimate.cost_micros);
      if (over) {
        const failed = (await this.repos.jobs.transition(trx, job.id, "planning", "failed", {
          reason: "over budget",
          details: { estimate_micros: plan.estimate.cost_micros, budget_micros: over.limit, committed_micros: over.committed },
          patch: { estimated_cost_micros: plan.estimate.cost_micros, error_code: "billing.budget_exceeded", error_message: "The estimated cost exceeds your remaining monthly budget", completed_at: trx.fn.now() },
        })) as JobRow;
        const err = new ApiError(402, "budget_exceeded", `Estimated cost ${plan.estimate.cost_micros} micro-units exceeds the remaining monthly budget (${Math.max(0, over.limit - over.committed)} of ${over.limit})`, { job_id: failed.id });
        if (key) await this.repos.idempotency.complete(trx, who.user.id, key, 402, { code: err.code, detail: err.message, job_id: failed.id }, failed.id);
        return { job: failed, err };
      }
      const approved = (await this.repos.jobs.transition(trx, job.id, "planning", "approved", {
        reason: "planned",
        details: { estimate_micros: plan.estimate.cost_micros, gpu_seconds: plan.estimate.gpu_seconds, device: plan.estimate.device },
        patch: {
          estimated_cost_micros: plan.estimate.cost_micros,
          queued_at: trx.fn.now(),
          stage: "queued",
          next_run_at: trx.fn.now(),
          expires_at: trx.raw("now() + make_interval(secs => ?)", [this.config.queueTtlMs / 1000]),
        },
      })) as JobRow;
      if (key) await this.repos.idempotency.complete(trx, who.user.id, key, 202, { job_id: approved.id }, approved.id);
      return { job: approved, err: undefined };
    });
    req.audit.resourceId = outcome.job.id;
    if (outcome.err) {
      this.metrics?.jobsFinished.inc({ pipeline: plan.params.pipeline, status: "failed", error_code: "billing.budget_exceeded" });
      throw outcome.err;
    }
    this.metrics?.jobsSubmitted.inc({ pipeline: plan.params.pipeline, tier: tier.id });
    return outcome.job;
  }

  private async answer(req: Request, job: JobRow, wait: number | undefined, headers: Record<string, string>): Promise<SubmitOutcome> {
    let current = job;
    if (wait !== undefined) {
      const waited = await this.waitFor(job.user_id, job.id, wait * 1000, req);
      if (waited) {
        current = waited;
        headers["Preference-Applied"] = `wait=${wait}`;
      }
    }
    headers.Location = `/api/v1/videos/${job.id}`;
    // 201 only when the client asked to wait and the job finished meanwhile; otherwise 202, replays included.
    return { status: wait !== undefined && isFinished(current.status) ? 201 : 202, body: await this.view(current), headers };
  }

  /**
   * Waits (jobs/waiters.ts: bounded, one shared poll) until the job finishes, the time is up, the client goes away
   * or the server drains; undefined when over the bound of waiting requests (the caller answers at once).
   */
  private async waitFor(userId: string, id: string, ms: number, req: Request): Promise<JobRow | undefined> {
    const stop = new AbortController();
    const onClose = () => stop.abort();
    req.once("close", onClose);
    this.drainSignal.addEventListener("abort", onClose, { once: true });
    try {
      if (this.draining) stop.abort();
      const waited = await this.waiters.wait(userId, id, ms, stop.signal);
      if (!waited) return undefined;
    } finally {
      req.off("close", onClose);
      this.drainSignal.removeEventListener("abort", onClose);
    }
    const j = await this.repos.jobs.findOwned(userId, id);
    if (!j) throw notFound("Job");
    return j;
  }

  async get(who: Principal, id: string): Promise<JobView> {
    const j = await this.repos.jobs.findOwned(who.user.id, id);
    if (!j) throw notFound("Job");
    return this.view(j);
  }

  /** The row itself (for downloads and events), owner-scoped. */
  async row(who: Principal, id: string): Promise<JobRow> {
    const j = await this.repos.jobs.findOwned(who.user.id, id);
    if (!j) throw notFound("Job");
    return j;
  }

  async list(who: Principal, q: { limit: number; cursor?: string; status?: string[]; project_id?: string }) {
    const rows = await this.repos.jobs.listOwned(who.user.id, q.limit, this.cursors.decode(q.cursor), { status: q.status, projectId: q.project_id });
    return this.cursors.page(rows, q.limit, (r) => jobView(r));
  }

  /**
   * Queued (or not yet queued) jobs are cancelled at once. Running ones get a cancel request: the worker holding
   * it stops the pipeline within one step (at once when it runs in this process, otherwise at its next poll) and
   * settles it as cancelled, uncharged. Cancelling a cancelled job is a no-op; other finished jobs are a 409.
   */
  async cancel(who: Principal, id: string): Promise<JobView> {
    const job = await this.db.transaction(async (trx) => {
      const j = await this.repos.jobs.lockOwned(trx, who.user.id, id);
      if (!j) throw notFound("Job");
      if (j.status === "cancelled") return j;
      if (isFinished(j.status)) throw new ApiError(409, "conflict", `The job is already ${j.status}`);
      if (j.status === "finalizing") throw new ApiError(409, "conflict", "The job is being stored and can no longer be cancelled");
      if ((LEASED_STATES as string[]).includes(j.status)) {
        const [r] = await trx<JobRow>("jobs").where({ id }).update({ cancel_requested_at: trx.raw("coalesce(cancel_requested_at, now())") as never }).returning("*");
        return r as JobRow;
      }
      return (await this.repos.jobs.transition(trx, id, j.status, "cancelled", {
        reason: "cancelled by user",
        patch: { cancel_requested_at: trx.fn.now(), completed_at: trx.fn.now(), stage: "cancelled" },
      })) as JobRow;
    });
    if ((LEASED_STATES as string[]).includes(job.status)) this.lifecycle.cancels.emit(id);
    else if (job.status === "cancelled") this.metrics?.jobsFinished.inc({ pipeline: String(job.params.pipeline), status: "cancelled", error_code: "" });
    return this.view(job);
  }

  /** Deletes a finished job, its events and its output (billing records stay, unlinked). */
  async delete(who: Principal, id: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const j = await this.repos.jobs.lockOwned(trx, who.user.id, id);
      if (!j) throw notFound("Job");
      if (!isFinished(j.status)) throw new ApiError(409, "conflict", `The job is ${j.status}; cancel it first`);
      await this.repos.jobs.deleteOwned(trx, who.user.id, id);
    });
    this.storage.removeJob(id);
  }
}
