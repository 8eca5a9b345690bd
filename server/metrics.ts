// Prometheus metrics (prom-client) on a registry per server instance: HTTP requests by route template and
// status, a latency histogram, authentication failures, and the default process metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status_class">;
  authFailures: Counter<"reason">;
  rateLimited: Counter<"policy">;
  inFlight: Gauge;
  jobsSubmitted: Counter<"pipeline" | "tier">;
  jobsFinished: Counter<"pipeline" | "status" | "error_code">;
  jobQueueSeconds: Histogram<"pipeline">;
  jobRunSeconds: Histogram<"pipeline">;
  jobStageSeconds: Histogram<"stage">;
  gpuSeconds: Counter<"pipeline" | "device">;
  costMicros: Counter<"tier">;
  webhookDeliveries: Counter<"outcome">;
  idempotentReplays: Counter<"outcome">;
  /** Jobs per state, read from the database on scrape (set by the job service). */
  jobsByState: Gauge<"state">;
  /** Filled in by whoever can read the database; called on every scrape. */
  collectors: { jobsByState?: (g: Gauge<"state">) => Promise<void> };
}

const JOB_BUCKETS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800];

export function createMetrics(): Metrics {
  const registry = new Registry();
  const collectors: Metrics["collectors"] = {};
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests by method, route template and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency by method, route template and status class",
      labelNames: ["method", "route", "status_class"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: "aiprod_auth_failures_total",
      help: "Refused credentials by reason",
      labelNames: ["reason"],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: "aiprod_ratelimited_total",
      help: "Requests refused with 429, by policy",
      labelNames: ["policy"],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "http_requests_in_flight",
      help: "HTTP requests being processed (graceful shutdown waits for these)",
      registers: [registry],
    }),
    jobsSubmitted: new Counter({ name: "aiprod_jobs_submitted_total", help: "Video jobs accepted, by pipeline and pricing tier", labelNames: ["pipeline", "tier"], registers: [registry] }),
    jobsFinished: new Counter({ name: "aiprod_jobs_finished_total", help: "Video jobs that reached a final state", labelNames: ["pipeline", "status", "error_code"], registers: [registry] }),
    jobQueueSeconds: new Histogram({ name: "aiprod_job_queue_seconds", help: "Time from approval to a worker's claim", labelNames: ["pipeline"], buckets: JOB_BUCKETS, registers: [registry] }),
    jobRunSeconds: new Histogram({ name: "aiprod_job_run_seconds", help: "Time a worker spent on a job (claim to settle)", labelNames: ["pipeline"], buckets: JOB_BUCKETS, registers: [registry] }),
    jobStageSeconds: new Histogram({ name: "aiprod_job_stage_seconds", help: "Time per inference stage (denoise, decode, qa_check, ...)", labelNames: ["stage"], buckets: JOB_BUCKETS, registers: [registry] }),
    gpuSeconds: new Counter({ name: "aiprod_gpu_seconds_total", help: "Device seconds spent on completed jobs", labelNames: ["pipeline", "device"], registers: [registry] }),
    costMicros: new Counter({ name: "aiprod_cost_micros_total", help: "Amount charged for completed jobs (micro-units)", labelNames: ["tier"], registers: [registry] }),
    webhookDeliveries: new Counter({ name: "aiprod_webhook_deliveries_total", help: "Webhook delivery attempts by outcome", labelNames: ["outcome"], registers: [registry] }),
    idempotentReplays: new Counter({ name: "aiprod_idempotent_requests_total", help: "Idempotency-Key outcomes (replayed, conflict, mismatch)", labelNames: ["outcome"], registers: [registry] }),
    jobsByState: new Gauge({ name: "aiprod_jobs", help: "Jobs per state (queue depth: approved), read from the database", labelNames: ["state"], registers: [registry],
      async collect() {
        await collectors.jobsByState?.(this).catch(() => undefined); // a scrape during a database outage still answers
      },
    }),
    collectors,
  };
}
