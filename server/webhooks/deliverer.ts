// Delivers the webhook outbox: signed POSTs (Standard Webhooks), 15 s timeout, no redirects (3xx is a failure),
// retried on the Standard Webhooks schedule; 410 disables nothing here but stops retrying that message.
// The target is resolved and checked (ssrf.ts) before any connection, and the socket goes to the checked address.
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { Logger } from "pino";
import type { Metrics } from "../metrics.js";
import type { DeliveryRow, WebhooksRepository } from "../repositories/webhooksRepository.js";
import { webhookHeaders } from "./signing.js";
import { resolveSafe, SsrfRefusedError } from "./ssrf.js";

/** Delays before attempt 2, 3, ... (Standard Webhooks): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000];

export interface DelivererOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  /** Multiplies the schedule (tests use a small factor). */
  scheduleScale: number;
}

export interface SendOutcome {
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  retry: boolean;
}

export async function sendWebhook(d: Pick<DeliveryRow, "url" | "message_id" | "payload">, secret: string, opts: DelivererOptions): Promise<SendOutcome> {
  let url: URL;
  try {
    url = new URL(d.url);
  } catch {
    return { delivered: false, statusCode: null, error: "invalid URL", retry: false };
  }
  let target;
  try {
    target = await resolveSafe(url, opts.allowPrivate);
  } catch (e) {
    const refused = e instanceof SsrfRefusedError;
    return { delivered: false, statusCode: null, error: refused ? `refused: ${(e as Error).message}` : `DNS: ${(e as Error).message}`, retry: !refused };
  }
  const body = JSON.stringify(d.payload);
  const headers = {
    ...webhookHeaders(secret, d.message_id, Math.floor(Date.now() / 1000), body),
    "content-type": "application/json",
    "user-agent": "aiprod-webhooks/1",
    "content-length": String(Buffer.byteLength(body)),
  };
  // The connection goes to the address checked above, whatever DNS says now.
  const lookup: LookupFunction = (_host, options, cb) => {
    if (typeof options === "object" && options && (options as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  };
  const mod = url.protocol === "https:" ? https : http;
  return new Promise<SendOutcome>((resolve) => {
    // A deadline for the whole exchange up to the status line, not an idle timeout: an endpoint that trickles
    // its headers a byte at a time is never idle, and one such endpoint held housekeeping (and shutdown) forever.
    const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    const req = mod.request(url, { method: "POST", headers, lookup, agent: false }, (res) => {
      clearTimeout(deadline);
      // The body is not used: close the socket rather than drain it (an endpoint could stream one forever).
      res.destroy();
      const code = res.statusCode ?? 0;
      const ok = code >= 200 && code < 300;
      resolve({ delivered: ok, statusCode: code, error: ok ? null : `HTTP ${code}`, retry: !ok && code !== 410 });
    });
    req.on("error", (e) => {
      clearTimeout(deadline);
      resolve({ delivered: false, statusCode: null, error: e.message, retry: true });
    });
    req.end(body);
  });
}

export class WebhookDeliverer {
  constructor(
    private readonly repo: WebhooksRepository,
    private readonly opts: DelivererOptions,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /** Sends every due delivery once; returns how many were attempted. */
  async runOnce(limit = 20): Promise<number> {
    const due = await this.repo.claimDue(limit, Math.ceil(this.opts.timeoutMs / 1000) + 30);
    await Promise.all(
      due.map(async (d) => {
        const secret = await this.repo.secretFor(d.user_id);
        const out = await sendWebhook(d, secret, this.opts);
        const next = RETRY_SCHEDULE_MS[d.attempts];
        const retryInMs = out.delivered || !out.retry || next === undefined ? null : next * this.opts.scheduleScale;
        await this.repo.settle(d.id, { delivered: out.delivered, statusCode: out.statusCode, error: out.error, retryInMs });
        this.metrics?.webhookDeliveries.inc({ outcome: out.delivered ? "delivered" : retryInMs === null ? "failed" : "retry" });
        if (!out.delivered) this.logger.warn({ delivery: d.id, job: d.job_id, attempt: d.attempts + 1, error: out.error }, "webhook delivery failed");
      }),
    );
    return due.length;
  }
}
