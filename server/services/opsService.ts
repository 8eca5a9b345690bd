// Operations: job statistics (a user sees their own, an admin everything) and active alerts.
import type { Knex } from "knex";
import type { JobsConfig } from "../config.js";
import type { Principal } from "../http/context.js";
import type { JobsRepository } from "../repositories/jobsRepository.js";
import type { WorkersRepository } from "../repositories/workersRepository.js";

export const STAT_PERIODS = { hour: 3600, day: 86_400, week: 604_800, month: 2_592_000 } as const;
export type StatPeriod = keyof typeof STAT_PERIODS;

type Pct = { p50: number | null; p95: number | null; p99: number | null };
const num = (v: unknown) => (v === null || v === undefined ? null : Number(Number(v).toFixed(3)));

export class OpsService {
  constructor(private readonly db: Knex, private readonly jobs: JobsRepository, private readonly workers: WorkersRepository, private readonly config: JobsConfig) {}

  private async percentiles(expr: string, where: (q: Knex.QueryBuilder) => void): Promise<Pct> {
    const q = this.db("jobs").select(
      this.db.raw(`percentile_cont(0.5) within group (order by ${expr}) as p50`),
      this.db.raw(`percentile_cont(0.95) within group (order by ${expr}) as p95`),
      this.db.raw(`percentile_cont(0.99) within group (order by ${expr}) as p99`),
    );
    where(q);
    const r = (await q.first()) as Record<string, unknown> | undefined;
    return { p50: num(r?.p50), p95: num(r?.p95), p99: num(r?.p99) };
  }

  async stats(who: Principal, period: StatPeriod) {
    const userId = who.user.role === "admin" ? undefined : who.user.id;
    const since = new Date(Date.now() - STAT_PERIODS[period] * 1000);
    const scope = (q: Knex.QueryBuilder) => {
      if (userId) q.where("user_id", userId);
    };
    const counts = await this.jobs.countByStatus(userId);
    const finished = (await this.db("jobs")
      .select("status")
      .count({ n: "*" })
      .where("completed_at", ">=", since)
      .modify(scope)
      .groupBy("status")) as Array<{ status: string; n: number | string }>;
    const byOutcome = Object.fromEntries(finished.map((r) => [r.status, Number(r.n)]));
    const completed = byOutcome.completed ?? 0;
    const queueWait = await this.percentiles("extract(epoch from (started_at - queued_at))", (q) => q.whereNotNull("started_at").whereNotNull("queued_at").andWhere("started_at", ">=", since).modify(scope));
    const runTime = await this.percentiles("extract(epoch from (completed_at - started_at))", (q) => q.where("status", "completed").andWhere("completed_at", ">=", since).modify(scope));
    const costRows = (await this.db("billing_transactions")
      .select(this.db.raw("date_trunc('day', created_at) as day"))
      .sum({ amount: "amount_micros" })
      .count({ n: "*" })
      .where("created_at", ">=", since)
      .modify(scope)
      .groupByRaw("1")
      .orderByRaw("1")) as Array<{ day: Date; amount: number | string; n: number | string }>;
    const gpu = (await this.db("jobs").sum({ s: "gpu_seconds" }).where("status", "completed").andWhere("completed_at", ">=", since).modify(scope).first()) as { s: unknown } | undefined;
    return {
      scope: userId ? ("own" as const) : ("all" as const),
      period,
      since: since.toISOString(),
      counts_by_state: counts,
      finished_in_period: byOutcome,
      throughput_per_hour: Number((completed / (STAT_PERIODS[period] / 3600)).toFixed(3)),
      queue_wait_seconds: queueWait,
      run_seconds: runTime,
      gpu_seconds: num(gpu?.s) ?? 0,
      cost_per_day: costRows.map((r) => ({ day: new Date(r.day).toISOString().slice(0, 10), amount_micros: Number(r.amount), transactions: Number(r.n) })),
      cost_total_micros: costRows.reduce((s, r) => s + Number(r.amount), 0),
    };
  }

  async alerts() {
    const c = this.config;
    const out: Array<{ id: string; severity: "warning" | "critical"; summary: string; value: number; threshold: number }> = [];
    // Queue wait: the oldest due job still waiting.
    const oldest = (await this.db("jobs")
      .where({ status: "approved" })
      .andWhere("next_run_at", "<=", this.db.fn.now())
      .select(this.db.raw("extract(epoch from (now() - min(queued_at))) as s"))
      .first()) as { s: unknown } | undefined;
    const wait = Number(oldest?.s ?? 0);
    if (wait > c.alertQueueWaitSeconds) out.push({ id: "queue_wait", severity: "warning", summary: `a job has waited ${Math.round(wait)} s in the queue`, value: Math.round(wait), threshold: c.alertQueueWaitSeconds });
    // Error rate over the last hour (at least 5 finished jobs).
    const rows = (await this.db("jobs").select("status").count({ n: "*" }).whereIn("status", ["completed", "failed"]).andWhere("completed_at", ">=", this.db.raw("now() - interval '1 hour'")).groupBy("status")) as Array<{ status: string; n: number | string }>;
    const failed = Number(rows.find((r) => r.status === "failed")?.n ?? 0);
    const total = failed + Number(rows.find((r) => r.status === "completed")?.n ?? 0);
    if (total >= 5 && failed / total > c.alertErrorRate) out.push({ id: "error_rate", severity: "critical", summary: `${failed} of ${total} jobs failed in the last hour`, value: Number((failed / total).toFixed(3)), threshold: c.alertErrorRate });
    // Spend spike: today's charges over twice the daily average of the previous 30 days.
    const spend = (await this.db("billing_transactions")
      .select(
        this.db.raw("coalesce(sum(amount_micros) filter (where created_at >= date_trunc('day', now())), 0) as today"),
        this.db.raw("coalesce(sum(amount_micros) filter (where created_at < date_trunc('day', now()) and created_at >= date_trunc('day', now()) - interval '30 days'), 0) / 30.0 as daily_avg"),
      )
      .first()) as { today: unknown; daily_avg: unknown } | undefined;
    const today = Number(spend?.today ?? 0);
    const avg = Number(spend?.daily_avg ?? 0);
    if (avg > 0 && today > 2 * avg) out.push({ id: "spend_spike", severity: "warning", summary: `today's spend ${today} is over twice the 30-day daily average ${Math.round(avg)}`, value: today, threshold: Math.round(2 * avg) });
    // Workers that stopped sending heartbeats without stopping cleanly.
    const missing = await this.workers.missing(c.alertWorkerMissingSeconds);
    for (const w of missing) {
      out.push({ id: `worker_missing:${w.id}`, severity: "critical", summary: `worker ${w.id} on ${w.hostname} (${w.device}) missed its heartbeats`, value: Math.round((Date.now() - new Date(w.heartbeat_at).getTime()) / 1000), threshold: c.alertWorkerMissingSeconds });
    }
    return { alerts: out, checked_at: new Date().toISOString() };
  }
}
