// webhook_secrets (one whsec_ secret per user) and webhook_deliveries (the outbox: written in the transaction
// that finishes the job, delivered and retried by any worker).
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { generateWebhookSecret } from "../webhooks/signing.js";

type Db = Knex | Knex.Transaction;

export interface DeliveryRow {
  id: string;
  user_id: string;
  job_id: string | null;
  url: string;
  event_type: string;
  message_id: string;
  payload: Record<string, unknown>;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

export class WebhooksRepository {
  constructor(private readonly db: Knex) {}

  async secretFor(userId: string, trx: Db = this.db): Promise<string> {
    await trx("webhook_secrets").insert({ user_id: userId, secret: generateWebhookSecret() }).onConflict("user_id").ignore();
    const row = (await trx("webhook_secrets").where({ user_id: userId }).first()) as { secret: string } | undefined;
    return (row as { secret: string }).secret;
  }

  async rotateSecret(userId: string): Promise<string> {
    const secret = generateWebhookSecret();
    await this.db("webhook_secrets").insert({ user_id: userId, secret }).onConflict("user_id").merge({ secret, created_at: this.db.fn.now() });
    return secret;
  }

  async enqueue(trx: Db, d: { userId: string; jobId: string; url: string; eventType: string; payload: Record<string, unknown> }): Promise<void> {
    await trx("webhook_deliveries").insert({
      user_id: d.userId,
      job_id: d.jobId,
      url: d.url,
      event_type: d.eventType,
      message_id: `msg_${randomUUID().replace(/-/g, "")}`,
      payload: d.payload,
    });
  }

  /** Due deliveries, locked for `lockSeconds` so that one deliverer at a time sends each. */
  async claimDue(limit: number, lockSeconds: number): Promise<DeliveryRow[]> {
    return this.db.transaction(async (trx) => {
      const ids = await trx("webhook_deliveries")
        .where({ status: "pending" })
        .andWhere("next_attempt_at", "<=", trx.fn.now())
        .andWhere((q) => q.whereNull("locked_until").orWhere("locked_until", "<", trx.fn.now()))
        .orderBy("next_attempt_at")
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .pluck("id");
      if (!ids.length) return [];
      return (await trx("webhook_deliveries")
        .whereIn("id", ids)
        .update({ locked_until: trx.raw("now() + make_interval(secs => ?)", [lockSeconds]) })
        .returning("*")) as DeliveryRow[];
    });
  }

  async settle(id: string, outcome: { delivered: boolean; statusCode: number | null; error: string | null; retryInMs: number | null }): Promise<void> {
    const status = outcome.delivered ? "delivered" : outcome.retryInMs === null ? "failed" : "pending";
    await this.db("webhook_deliveries")
      .where({ id })
      .update({
        status,
        attempts: this.db.raw("attempts + 1"),
        last_status_code: outcome.statusCode,
        last_error: outcome.error?.slice(0, 500) ?? null,
        locked_until: null,
        delivered_at: outcome.delivered ? this.db.fn.now() : null,
        next_attempt_at: outcome.retryInMs === null ? this.db.fn.now() : this.db.raw("now() + make_interval(secs => ?)", [outcome.retryInMs / 1000]),
      });
  }

  forJob(jobId: string): Promise<DeliveryRow[]> {
    return this.db<DeliveryRow>("webhook_deliveries").where({ job_id: jobId }).orderBy("created_at");
  }
}
