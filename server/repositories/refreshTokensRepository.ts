// refresh_tokens table: hashed tokens grouped in rotation families.
import type { Knex } from "knex";

export interface RefreshTokenRow {
  id: string;
  user_id: string;
  family_id: string;
  parent_id: string | null;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
}

export class RefreshTokensRepository {
  constructor(private readonly db: Knex) {}

  async insert(row: Omit<RefreshTokenRow, "id" | "created_at" | "used_at" | "revoked_at">, trx: Knex | Knex.Transaction = this.db): Promise<void> {
    await trx("refresh_tokens").insert(row);
  }

  /** Locks the row: two concurrent refreshes with one token cannot both rotate it. */
  findByHashForUpdate(trx: Knex.Transaction, hash: string): Promise<RefreshTokenRow | undefined> {
    return trx<RefreshTokenRow>("refresh_tokens").where({ token_hash: hash }).forUpdate().first();
  }

  findByHash(hash: string): Promise<RefreshTokenRow | undefined> {
    return this.db<RefreshTokenRow>("refresh_tokens").where({ token_hash: hash }).first();
  }

  async markUsed(trx: Knex.Transaction, id: string): Promise<void> {
    await trx("refresh_tokens").where({ id }).update({ used_at: new Date() });
  }

  async revokeFamily(familyId: string, trx: Knex | Knex.Transaction = this.db): Promise<number> {
    return trx("refresh_tokens").where({ family_id: familyId }).whereNull("revoked_at").update({ revoked_at: new Date() });
  }

  async revokeAllForUser(userId: string, trx: Knex | Knex.Transaction = this.db): Promise<number> {
    return trx("refresh_tokens").where({ user_id: userId }).whereNull("revoked_at").update({ revoked_at: new Date() });
  }

  allForUser(userId: string): Promise<RefreshTokenRow[]> {
    return this.db<RefreshTokenRow>("refresh_tokens").where({ user_id: userId }).orderBy("created_at");
  }
}
