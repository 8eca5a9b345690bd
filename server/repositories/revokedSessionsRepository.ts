// revoked_sessions table: sessions (refresh-token families) whose access tokens no longer work, kept until those
// tokens would have expired anyway.
import type { Knex } from "knex";

export class RevokedSessionsRepository {
  constructor(private readonly db: Knex) {}

  /** Lists the session as revoked until `until` (idempotent; a later `until` wins). */
  async revoke(sessionId: string, until: Date, trx: Knex | Knex.Transaction = this.db): Promise<void> {
    await trx("revoked_sessions")
      .insert({ session_id: sessionId, expires_at: until })
      .onConflict("session_id")
      .merge({ expires_at: trx.raw("greatest(revoked_sessions.expires_at, excluded.expires_at)") });
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    return (await this.db("revoked_sessions").where({ session_id: sessionId }).first("session_id")) !== undefined;
  }

  async deleteExpired(now = new Date()): Promise<number> {
    return this.db("revoked_sessions").where("expires_at", "<", now).del();
  }
}
