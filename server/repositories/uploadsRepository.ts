// uploads: images and LoRA files a user sent, referenced by jobs.
import type { Knex } from "knex";

export interface UploadRow {
  id: string;
  user_id: string;
  kind: "image" | "lora";
  content_type: string;
  bytes: number;
  sha256: string;
  path: string;
  created_at: Date;
}

export class UploadsRepository {
  constructor(private readonly db: Knex) {}

  async insert(u: Omit<UploadRow, "created_at">, trx: Knex | Knex.Transaction = this.db): Promise<UploadRow> {
    const [row] = await trx("uploads").insert(u).returning("*");
    return row as UploadRow;
  }

  /** Bytes of the user's uploads. */
  async bytesOf(userId: string, trx: Knex | Knex.Transaction = this.db): Promise<number> {
    return Number((await trx("uploads").where({ user_id: userId }).sum({ s: "bytes" }).first())?.s ?? 0);
  }

  /**
   * Removes (and returns) uploads created before `before` that no unfinished job references: an abandoned
   * upload would otherwise hold its owner's quota and disk space forever.
   */
  async deleteUnusedBefore(before: Date, limit = 500): Promise<UploadRow[]> {
    return this.db.transaction(async (trx) => {
      const rows = await trx<UploadRow>("uploads as u")
        .where("u.created_at", "<", before)
        .whereNotExists(
          trx("jobs as j")
            .whereRaw("j.user_id = u.user_id")
            .whereIn("j.status", ["received", "planning", "approved", "processing", "qa_check", "finalizing"])
            .whereRaw("position(u.id::text in j.params::text) > 0"),
        )
        .orderBy("u.created_at")
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .select("u.*");
      if (rows.length) await trx("uploads").whereIn("id", rows.map((r) => r.id)).del();
      return rows;
    });
  }

  findOwned(userId: string, id: string): Promise<UploadRow | undefined> {
    return this.db<UploadRow>("uploads").where({ id, user_id: userId }).first();
  }

  findManyOwned(userId: string, ids: string[]): Promise<UploadRow[]> {
    return this.db<UploadRow>("uploads").where({ user_id: userId }).whereIn("id", ids);
  }

  async deleteOwned(userId: string, id: string): Promise<UploadRow | undefined> {
    const row = await this.findOwned(userId, id);
    if (row) await this.db("uploads").where({ id, user_id: userId }).del();
    return row;
  }
}
