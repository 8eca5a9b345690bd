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

  async insert(u: Omit<UploadRow, "created_at">): Promise<UploadRow> {
    const [row] = await this.db("uploads").insert(u).returning("*");
    return row as UploadRow;
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
