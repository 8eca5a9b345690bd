// api_usage table: one row per authenticated request (route template, status, duration).
import type { Knex } from "knex";

export interface ApiUsageRow {
  id: number;
  user_id: string | null;
  api_key_id: string | null;
  method: string;
  route: string;
  status: number;
  duration_ms: number;
  created_at: Date;
}

export class ApiUsageRepository {
  constructor(private readonly db: Knex) {}

  async insert(row: Omit<ApiUsageRow, "id" | "created_at">): Promise<void> {
    await this.db("api_usage").insert(row);
  }

  /** Deletes up to `limit` rows created before `cutoff` (batched, so one housekeeping round stays short). */
  async deleteOlderThan(cutoff: Date, limit = 10_000): Promise<number> {
    const old = this.db("api_usage").select("id").where("created_at", "<", cutoff).orderBy("created_at").limit(limit);
    return Number(await this.db("api_usage").whereIn("id", old).del());
  }

  allForUser(userId: string): Promise<ApiUsageRow[]> {
    return this.db<ApiUsageRow>("api_usage").where({ user_id: userId }).orderBy("id");
  }
}
