// jobs and job_events: the durable queue. Every status change is transition(): legal per the state machine,
// conditional on the status read (and on the attempt when a worker settles: the fence), one job_events row.
import type { Knex } from "knex";
import { applyCursor, type Cursor } from "../http/pagination.js";
import { assertTransition, type JobState, LEASED_STATES } from "../jobs/stateMachine.js";

type Db = Knex | Knex.Transaction;

export interface JobRow {
  id: string;
  user_id: string;
  project_id: string | null;
  api_key_id: string | null;
  status: JobState;
  params: Record<string, unknown>;
  progress: number;
  priority: number;
  attempt: number;
  max_attempts: number;
  worker_id: string | null;
  lease_expires_at: Date | null;
  heartbeat_at: Date | null;
  next_run_at: Date;
  cancel_requested_at: Date | null;
  error_code: string | null;
  error_message: string | null;
  result: Record<string, unknown> | null;
  estimated_cost_micros: number | null;
  actual_cost_micros: number | null;
  gpu_seconds: number | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  expires_at: Date | null;
  stage: string | null;
  /** When the running attempt expects to finish (its backend's ETA), or null. */
  eta_at?: Date | null;
  webhook_url: string | null;
  pricing_tier: string;
  qa_retries: number;
  queued_at: Date | null;
}

export interface JobEventRow {
  id: number;
  job_id: string;
  from_status: JobState | null;
  to_status: JobState;
  attempt: number;
  details: Record<string, unknown>;
  created_at: Date;
}

export interface TransitionOptions {
  /** Settle only this attempt (workers): a worker that lost its lease changes nothing. */
  attempt?: number;
  /** And only while this worker holds it. */
  workerId?: string;
  reason: string;
  details?: Record<string, unknown>;
  /** Other columns to set in the same UPDATE. */
  patch?: Partial<Record<keyof JobRow, unknown>>;
}

export class JobsRepository {
  constructor(private readonly db: Knex) {}

  async insert(trx: Db, row: Partial<JobRow> & { user_id: string; params: Record<string, unknown> }): Promise<JobRow> {
    const [job] = await trx<JobRow>("jobs").insert({ ...row, status: "received" } as never).returning("*");
    await trx("job_events").insert({ job_id: (job as JobRow).id, from_status: null, to_status: "received", attempt: 0, details: { reason: "submitted" } });
    return job as JobRow;
  }

  /**
   * from -> to, if the job is still in `from` (and at opts.attempt / opts.workerId). Returns the updated row, or
   * undefined when the condition no longer holds (another actor moved it first, or the fence refused). Throws
   * IllegalTransitionError for a transition the state machine forbids.
   */
  async transition(trx: Db, id: string, from: JobState, to: JobState, opts: TransitionOptions): Promise<JobRow | undefined> {
    assertTransition(from, to);
    const q = trx<JobRow>("jobs").where({ id, status: from });
    if (opts.attempt !== undefined) q.andWhere({ attempt: opts.attempt });
    if (opts.workerId !== undefined) q.andWhere({ worker_id: opts.workerId });
    const [row] = await q.update({ ...(opts.patch ?? {}), status: to } as never).returning("*");
    if (!row) return undefined;
    await trx("job_events").insert({
      job_id: id,
      from_status: from,
      to_status: to,
      attempt: (row as JobRow).attempt,
      details: { reason: opts.reason, ...(opts.details ?? {}) },
    });
    return row as JobRow;
  }

  findById(id: string, trx: Db = this.db): Promise<JobRow | undefined> {
    return trx<JobRow>("jobs").where({ id }).first();
  }

  /** The status of each of these jobs (one query for every request waiting on a job: jobs/waiters.ts). */
  statuses(ids: string[]): Promise<Array<{ id: string; status: JobState }>> {
    return this.db("jobs").whereIn("id", ids).select("id", "status");
  }

  findOwned(userId: string, id: string, trx: Db = this.db): Promise<JobRow | undefined> {
    return trx<JobRow>("jobs").where({ id, user_id: userId }).first();
  }

  lockOwned(trx: Knex.Transaction, userId: string, id: string): Promise<JobRow | undefined> {
    return trx<JobRow>("jobs").where({ id, user_id: userId }).forUpdate().first();
  }

  listOwned(userId: string, limit: number, cursor: Cursor | undefined, filter: { status?: string[]; projectId?: string }): Promise<JobRow[]> {
    const q = this.db<JobRow>("jobs").where({ user_id: userId });
    if (filter.status?.length) q.whereIn("status", filter.status);
    if (filter.projectId) q.andWhere({ project_id: filter.projectId });
    return applyCursor(q, cursor).limit(limit + 1);
  }

  async deleteOwned(trx: Db, userId: string, id: string): Promise<boolean> {
    return (await trx("jobs").where({ id, user_id: userId }).del()) > 0;
  }

  eventsAfter(jobId: string, afterId: number, limit = 100): Promise<JobEventRow[]> {
    return this.db<JobEventRow>("job_events").where({ job_id: jobId }).andWhere("id", ">", afterId).orderBy("id").limit(limit);
  }

  /** Jobs ahead of this one in the claim order (priority desc, then age). */
  async queuePosition(job: JobRow): Promise<number> {
    const r = await this.db("jobs")
      .where({ status: "approved" })
      .andWhere((q) =>
        q
          .where("priority", ">", job.priority)
          .orWhere((q2) => q2.where("priority", job.priority).andWhere((q3) => q3.where("created_at", "<", job.created_at).orWhere((q4) => q4.where("created_at", job.created_at).andWhere("id", "<", job.id)))),
      )
      .count({ n: "*" })
      .first();
    return Number(r?.n ?? 0);
  }

  /**
   * Claims the next due job: FOR UPDATE SKIP LOCKED by priority and age, so concurrent workers never pick the
   * same row; attempt + 1 is the new fencing token; the lease and next heartbeat deadline use the database clock.
   */
  async claim(workerId: string, leaseSeconds: number, maxRunningPerUser = Number.MAX_SAFE_INTEGER, maxRunningPerTier: Readonly<Record<string, number>> = {}): Promise<JobRow | undefined> {
    return this.db.transaction(async (trx) => {
      // Users already running their quota of jobs (JOB_MAX_RUNNING_PER_USER, and per tier JOB_TIER_QUOTAS) are
      // passed over: others' jobs go first.
      const saturated = (tier?: string) => {
        const q = trx("jobs").select("user_id").whereIn("status", LEASED_STATES as JobState[]);
        if (tier) q.where({ pricing_tier: tier });
        return q.groupBy("user_id").havingRaw("count(*) >= ?", [tier ? (maxRunningPerTier[tier] as number) : maxRunningPerUser]);
      };
      const query = trx<JobRow>("jobs")
        .where({ status: "approved" })
        .andWhere("next_run_at", "<=", trx.fn.now())
        .whereNotIn("user_id", saturated());
      for (const tier of Object.keys(maxRunningPerTier)) query.whereNot((q) => q.where({ pricing_tier: tier }).whereIn("user_id", saturated(tier)));
      const candidate = await query
        .orderBy([{ column: "priority", order: "desc" }, { column: "created_at", order: "asc" }, { column: "id", order: "asc" }])
        .forUpdate()
        .skipLocked()
        .first();
      if (!candidate) return undefined;
      // Two workers may pick two jobs of one user at the same moment: count again under the user's claim lock.
      await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`claim:${candidate.user_id}`]);
      const running = (await trx("jobs").where({ user_id: candidate.user_id }).whereIn("status", LEASED_STATES as JobState[]).select("pricing_tier")) as Array<{ pricing_tier: string }>;
      if (running.length >= maxRunningPerUser) return undefined;
      const tierMax = maxRunningPerTier[candidate.pricing_tier];
      if (tierMax !== undefined && running.filter((r) => r.pricing_tier === candidate.pricing_tier).length >= tierMax) return undefined;
      return this.transition(trx, candidate.id, "approved", "processing", {
        reason: "claimed",
        details: { worker_id: workerId },
        patch: {
          attempt: candidate.attempt + 1,
          worker_id: workerId,
          lease_expires_at: trx.raw(`now() + make_interval(secs => ?)`, [leaseSeconds]),
          heartbeat_at: trx.fn.now(),
          started_at: trx.raw("coalesce(started_at, now())"),
          stage: "starting",
          progress: 0,
          expires_at: null,
          error_code: null,
          error_message: null,
        },
      });
    });
  }

  /** Renews the lease of the attempt the worker holds; undefined when it no longer holds it (fence). */
  async heartbeat(id: string, attempt: number, workerId: string, leaseSeconds: number): Promise<Pick<JobRow, "cancel_requested_at" | "status"> | undefined> {
    const [row] = await this.db<JobRow>("jobs")
      .where({ id, attempt, worker_id: workerId })
      .whereIn("status", LEASED_STATES as JobState[])
      .update({ lease_expires_at: this.db.raw(`now() + make_interval(secs => ?)`, [leaseSeconds]) as never, heartbeat_at: this.db.fn.now() as never })
      .returning(["cancel_requested_at", "status"]);
    return row as Pick<JobRow, "cancel_requested_at" | "status"> | undefined;
  }

  /** Progress and stage of the held attempt (fenced); false when the attempt is no longer held. */
  async progress(id: string, attempt: number, workerId: string, progress: number, stage: string, etaAt: Date | null = null): Promise<boolean> {
    const n = await this.db("jobs")
      .where({ id, attempt, worker_id: workerId })
      .whereIn("status", LEASED_STATES as JobState[])
      .update({ progress: Math.max(0, Math.min(100, Math.round(progress))), stage, eta_at: etaAt });
    return Number(n) > 0;
  }

  cancelRequested(id: string, attempt: number): Promise<Pick<JobRow, "cancel_requested_at" | "status" | "attempt"> | undefined> {
    return this.db<JobRow>("jobs").where({ id, attempt }).first("cancel_requested_at", "status", "attempt");
  }

  /** Leased jobs whose lease has passed, locked for the reaper (one reaper per row at a time). */
  expiredLeases(trx: Knex.Transaction, limit: number): Promise<JobRow[]> {
    return trx<JobRow>("jobs")
      .whereIn("status", LEASED_STATES as JobState[])
      .andWhere("lease_expires_at", "<", trx.fn.now())
      .orderBy("lease_expires_at")
      .limit(limit)
      .forUpdate()
      .skipLocked();
  }

  /** Completed jobs whose output retention has ended, and queued jobs past their queue deadline. */
  dueForExpiry(trx: Knex.Transaction, limit: number): Promise<JobRow[]> {
    return trx<JobRow>("jobs")
      .where((q) => q.where({ status: "completed" }).andWhere("expires_at", "<", trx.fn.now()))
      .orWhere((q) => q.where({ status: "approved" }).andWhere("expires_at", "<", trx.fn.now()))
      .limit(limit)
      .forUpdate()
      .skipLocked();
  }

  async countByStatus(userId?: string): Promise<Record<string, number>> {
    const q = this.db("jobs").select("status").count({ n: "*" }).groupBy("status");
    if (userId) q.where({ user_id: userId });
    const rows = (await q) as Array<{ status: string; n: number | string }>;
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Sum of the estimates of a user's unfinished jobs (they count against the budget until settled). */
  async openEstimates(trx: Db, userId: string): Promise<number> {
    const r = await trx("jobs")
      .where({ user_id: userId })
      .whereIn("status", ["planning", "approved", "processing", "qa_check", "finalizing"])
      .sum({ s: "estimated_cost_micros" })
      .first();
    return Number(r?.s ?? 0);
  }
}
