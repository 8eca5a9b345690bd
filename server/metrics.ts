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
}

export function createMetrics(): Metrics {
  const registry = new Registry();
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
  };
}
