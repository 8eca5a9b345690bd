// idempotency_keys: (user, key) -> request fingerprint, state and the stored response.
import type { Knex } from "knex";

type Db = Knex | Knex.Transaction;

export interface IdempotencyRow {
  user_id: string;
  key: string;
  fingerprint: string;
  status: "in_progress" | "completed";
  response_code: number | null;
  response_body: unknown;
  job_id: string | null;
  created_at: Date;
  expires_at: Date;
}

export class IdempotencyRepository {
  constructor(private readonly db: Knex) {}

  /** Inserts the key as in progress; false when it exists (and has not expired). Expired keys are replaced. */
  async claim(userId: string, key: string, fingerprint: string, ttlSeconds: number): Promise<boolean> {
    await this.db("idempotency_keys").where({ user_id: userId, key }).andWhere("expires_at", "<", this.db.fn.now()).del();
    const rows = await this.db("idempotency_keys")
      .insert({ user_id: userId, key, fingerprint, status: "in_progress", expires_at: this.db.raw("now() + make_interval(secs => ?)", [ttlSeconds]) })
      .onConflict(["user_id", "key"])
      .ignore()
      .returning("key");
    return rows.length === 1;
  }

  find(userId: string, key: string): Promise<IdempotencyRow | undefined> {
    return this.db<IdempotencyRow>("idempotency_keys").where({ user_id: userId, key }).first();
  }

  async complete(trx: Db, userId: string, key: string, code: number, body: unknown, jobId: string | null): Promise<void> {
    await trx("idempotency_keys").where({ user_id: userId, key }).update({ status: "completed", response_code: code, response_body: JSON.stringify(body), job_id: jobId });
  }

  /** A request that failed before producing a response gives its key back. */
  async release(userId: string, key: string): Promise<void> {
    await this.db("idempotency_keys").where({ user_id: userId, key, status: "in_progress" }).del();
  }

  async deleteExpired(): Promise<number> {
    return Number(await this.db("idempotency_keys").where("expires_at", "<", this.db.fn.now()).del());
  }
}
