// The workers of one process (inside `aiprod serve`, or `aiprod worker`) and their housekeeping: reclaiming
// expired leases, expiring old outputs and unstarted jobs, delivering webhooks, dropping old idempotency keys and
// api_usage rows past their retention, unused uploads, and output files no job will use.
// Every instance may run the housekeeping: each step locks its rows with SKIP LOCKED.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Services } from "../services/index.js";
import { WebhookDeliverer } from "../webhooks/deliverer.js";
import { sweepOutputs } from "../jobs/outputSweeper.js";
import type { GenerationBackend } from "./backend.js";
import { Worker, type WorkerDeps } from "./worker.js";

export interface PoolOptions {
  /** Workers to run (0: housekeeping only, e.g. an API instance whose workers run elsewhere). */
  count: number;
  device: string;
  backend?: GenerationBackend;
  qa?: WorkerDeps["qa"];
  /** Prefix of worker ids (default: host and pid). */
  idPrefix?: string;
}

const USAGE_RETENTION_EVERY_MS = 10 * 60_000;
const USAGE_RETENTION_BATCH = 10_000;
const OUTPUT_SWEEP_EVERY_MS = 10 * 60_000;

export class WorkerPool {
  readonly workers: Worker[] = [];
  private timer?: NodeJS.Timeout;
  private housekeeping?: Promise<void>;
  /** When api_usage retention last ran: it deletes in batches, so every USAGE_RETENTION_EVERY_MS is enough. */
  private usageRetentionAt = 0;
  /** When outputs/ was last swept (a directory walk: every OUTPUT_SWEEP_EVERY_MS is enough). */
  private outputSweepAt = 0;
  private readonly deliverer: WebhookDeliverer;
  private readonly log: Logger;

  constructor(private readonly s: Services, private readonly opts: PoolOptions) {
    const c = s.config.jobs;
    this.log = s.logger.child({ component: "workers" });
    this.deliverer = new WebhookDeliverer(
      s.repos.webhooks,
      { allowPrivate: c.webhookAllowPrivate, timeoutMs: c.webhookTimeoutMs, scheduleScale: c.webhookRetryScale },
      this.log,
      s.metrics,
    );
    const prefix = opts.idPrefix ?? `${hostname()}:${process.pid}`;
    if (opts.count > 0 && !opts.backend) throw new Error("workers need a generation backend");
    for (let i = 0; i < opts.count; i++) {
      this.workers.push(
        new Worker({
          id: `${prefix}:${i}:${randomBytes(3).toString("hex")}`,
          jobs: s.repos.jobs,
          workers: s.repos.workers,
          uploads: s.repos.uploads,
          lifecycle: s.lifecycle,
          storage: s.storage,
          backend: opts.backend as GenerationBackend,
          config: c,
          device: opts.device,
          logger: this.log,
          metrics: s.metrics,
          qa: opts.qa,
        }),
      );
    }
  }

  async start(): Promise<void> {
    for (const w of this.workers) await w.start();
    const every = Math.max(100, Math.min(5000, Math.floor(this.s.config.jobs.leaseMs / 4)));
    this.timer = setInterval(() => {
      this.housekeeping ??= this.tick().finally(() => (this.housekeeping = undefined));
    }, every);
    this.timer.unref();
  }

  /** One round of housekeeping (also called by tests). */
  async tick(): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>]> = [
      ["reclaim", () => this.s.lifecycle.reclaimExpired()],
      ["expire", () => this.s.lifecycle.expireDue()],
      ["webhooks", () => this.deliverer.runOnce()],
      ["idempotency", () => this.s.repos.idempotency.deleteExpired()],
      ["api_usage retention", () => this.applyUsageRetention()],
      ["unused uploads", () => this.s.uploads.deleteUnused()],
      ["output files", () => this.sweepOutputs()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (e) {
        this.log.warn({ err: e, step: name }, "housekeeping step failed");
      }
    }
  }

  /**
   * Deletes api_usage rows past API_USAGE_RETENTION_DAYS (one row per authenticated request: without it the
   * table only grew). At most one batch per USAGE_RETENTION_EVERY_MS; a backlog drains over the following rounds.
   * Returns the rows deleted; `now` is a parameter so tests can step the clock past the interval.
   */
  async applyUsageRetention(now = Date.now()): Promise<number> {
    if (now - this.usageRetentionAt < USAGE_RETENTION_EVERY_MS) return 0;
    this.usageRetentionAt = now;
    const deleted = await this.s.repos.usage.deleteOlderThan(new Date(now - this.s.config.jobs.apiUsageRetentionMs), USAGE_RETENTION_BATCH);
    // A full batch means more are due: come back on the next round instead of waiting the whole interval.
    if (deleted >= USAGE_RETENTION_BATCH) this.usageRetentionAt = 0;
    return deleted;
  }

  /**
   * Removes files under outputs/ that no job will use (jobs/outputSweeper.ts), at most every
   * OUTPUT_SWEEP_EVERY_MS; only files older than two leases (the attempt that wrote them cannot be running).
   */
  async sweepOutputs(now = Date.now()): Promise<number> {
    if (now - this.outputSweepAt < OUTPUT_SWEEP_EVERY_MS) return 0;
    this.outputSweepAt = now;
    const r = await sweepOutputs(this.s.db.knex, this.s.storage.outputs, 2 * this.s.config.jobs.leaseMs, now);
    if (r.files || r.folders) this.log.info({ files: r.files, folders: r.folders }, "removed unused output files");
    return r.files;
  }

  /** Graceful: stop claiming, let jobs in hand finish within timeoutMs, then return them to the queue. */
  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.workers.map((w) => w.stop(timeoutMs)));
    await this.housekeeping;
    await this.opts.backend?.close?.();
  }
}
