// idempotency_keys: (user, key) -> request fingerprint, state and the stored response.
import type { Knex } from "knex";

type Db = Knex | Knex.Transaction;

/** A submission takes well under this (planning is a few queries); an older in-progress key was abandoned. */
export const ABANDONED_SECONDS = 300;

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

  /**
   * Inserts the key as in progress; false when it exists. Expired keys are replaced, and so are keys left in
   * progress for longer than ABANDONED_SECONDS (the instance that took them died before answering).
   */
  async claim(userId: string, key: string, fingerprint: string, ttlSeconds: number): Promise<boolean> {
    await this.db("idempotency_keys")
      .where({ user_id: userId, key })
      .andWhere((q) =>
        q
          .where("expires_at", "<", this.db.fn.now())
          .orWhere((q2) => q2.where({ status: "in_progress" }).andWhere("created_at", "<", this.db.raw("now() - make_interval(secs => ?)", [ABANDONED_SECONDS]))),
      )
      .del();
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
