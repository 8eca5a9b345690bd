// api_keys table.
import type { Knex } from "knex";
import type { Scope } from "../http/context.js";
import { applyCursor, type Cursor } from "../http/pagination.js";

export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  last4: string;
  scopes: Scope[];
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

export class ApiKeysRepository {
  constructor(private readonly db: Knex) {}

  async create(k: Omit<ApiKeyRow, "id" | "created_at" | "revoked_at" | "last_used_at">): Promise<ApiKeyRow> {
    const [row] = await this.db<ApiKeyRow>("api_keys")
      .insert({ ...k, scopes: JSON.stringify(k.scopes) as unknown as Scope[] })
      .returning("*");
    return row as ApiKeyRow;
  }

  findByPrefix(prefix: string): Promise<ApiKeyRow | undefined> {
    return this.db<ApiKeyRow>("api_keys").where({ prefix }).first();
  }

  findOwned(userId: string, id: string): Promise<ApiKeyRow | undefined> {
    return this.db<ApiKeyRow>("api_keys").where({ id, user_id: userId }).first();
  }

  listOwned(userId: string, limit: number, cursor?: Cursor): Promise<ApiKeyRow[]> {
    return applyCursor(this.db<ApiKeyRow>("api_keys").where({ user_id: userId }), cursor).limit(limit + 1);
  }

  allOwned(userId: string): Promise<ApiKeyRow[]> {
    return this.db<ApiKeyRow>("api_keys").where({ user_id: userId }).orderBy("created_at");
  }

  async revoke(id: string): Promise<void> {
    await this.db("api_keys").where({ id }).whereNull("revoked_at").update({ revoked_at: new Date() });
  }

  async touch(id: string): Promise<void> {
    await this.db("api_keys").where({ id }).update({ last_used_at: new Date() });
  }
}
