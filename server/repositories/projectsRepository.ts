// projects table; every query is scoped to the owner.
import type { Knex } from "knex";
import { applyCursor, type Cursor } from "../http/pagination.js";

export interface ProjectRow {
  id: string;
  user_id: string;
  name: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

export class ProjectsRepository {
  constructor(private readonly db: Knex) {}

  async create(userId: string, p: { name: string; description?: string | null }): Promise<ProjectRow> {
    const [row] = await this.db<ProjectRow>("projects")
      .insert({ user_id: userId, name: p.name, description: p.description ?? null })
      .returning("*");
    return row as ProjectRow;
  }

  findOwned(userId: string, id: string): Promise<ProjectRow | undefined> {
    return this.db<ProjectRow>("projects").where({ id, user_id: userId }).first();
  }

  listOwned(userId: string, limit: number, cursor?: Cursor): Promise<ProjectRow[]> {
    return applyCursor(this.db<ProjectRow>("projects").where({ user_id: userId }), cursor).limit(limit + 1);
  }

  allOwned(userId: string): Promise<ProjectRow[]> {
    return this.db<ProjectRow>("projects").where({ user_id: userId }).orderBy("created_at");
  }

  async updateOwned(userId: string, id: string, patch: { name?: string; description?: string | null }): Promise<ProjectRow | undefined> {
    const [row] = await this.db<ProjectRow>("projects")
      .where({ id, user_id: userId })
      .update({ ...patch, updated_at: new Date() })
      .returning("*");
    return row;
  }

  async deleteOwned(userId: string, id: string): Promise<boolean> {
    return (await this.db("projects").where({ id, user_id: userId }).del()) > 0;
  }
}
