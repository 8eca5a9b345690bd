// First middleware: request id (echoed from X-Request-Id when it is a sane token, generated otherwise) on every
// response; the per-request audit note; and, when the response is done, metrics, the access log line and the
// usage record (route template, never the raw URL).
import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import type { Metrics } from "../metrics.js";
import type { ApiUsageRepository } from "../repositories/apiUsageRepository.js";

const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const PROBES = new Set(["/livez", "/readyz", "/health"]);

export function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === "string" ? path : "unmatched";
}

export class PendingWrites {
  private readonly pending = new Set<Promise<unknown>>();
  add(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

export function requestContext(logger: Logger, metrics: Metrics, usage: ApiUsageRepository, pending: PendingWrites) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get("x-request-id");
    req.requestId = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    req.audit = {};
    req.startedAt = process.hrtime.bigint();
    res.setHeader("X-Request-Id", req.requestId);
    metrics.inFlight.inc();
    res.once("close", () => metrics.inFlight.dec()); // finished or aborted
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - req.startedAt) / 1e9;
      const route = routeTemplate(req);
      const status = res.statusCode;
      metrics.httpRequests.inc({ method: req.method, route, status: String(status) });
      metrics.httpDuration.observe({ method: req.method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
      if (req.authFailure) metrics.authFailures.inc({ reason: req.authFailure });
      if (!PROBES.has(req.path)) {
        logger.info(
          {
            req_id: req.requestId,
            method: req.method,
            path: req.path, // no query string: it may carry secrets
            route,
            status,
            ms: Math.round(seconds * 1000),
            user_id: req.principal?.user.id,
            ip: req.ip,
          },
          "request",
        );
      }
      const p = req.principal;
      if (p) {
        pending.add(
          usage
            .insert({
              user_id: p.user.id,
              api_key_id: p.kind === "api_key" ? p.apiKeyId : null,
              method: req.method,
              route,
              status,
              duration_ms: Math.round(seconds * 1000),
            })
            .catch((e: unknown) => logger.warn({ err: e, req_id: req.requestId }, "api usage record failed")),
        );
      }
    });
    next();
  };
}
