// presets table: a user's own presets plus everyone's public ones.
import type { Knex } from "knex";
import { applyCursor, type Cursor } from "../http/pagination.js";
import type { GenerationParams } from "../schemas/generationParams.js";

export interface PresetRow {
  id: string;
  user_id: string;
  name: string;
  description: string | null;
  params: GenerationParams;
  is_public: boolean;
  created_at: Date;
}

export class PresetsRepository {
  constructor(private readonly db: Knex) {}

  async create(userId: string, p: { name: string; description?: string | null; params: GenerationParams; isPublic: boolean }): Promise<PresetRow> {
    const [row] = await this.db<PresetRow>("presets")
      .insert({
        user_id: userId,
        name: p.name,
        description: p.description ?? null,
        params: JSON.stringify(p.params) as unknown as GenerationParams,
        is_public: p.isPublic,
      })
      .returning("*");
    return row as PresetRow;
  }

  /** Own or public. */
  findVisible(userId: string, id: string): Promise<PresetRow | undefined> {
    return this.db<PresetRow>("presets")
      .where({ id })
      .andWhere((q) => q.where({ user_id: userId }).orWhere({ is_public: true }))
      .first();
  }

  listVisible(userId: string, limit: number, cursor: Cursor | undefined, scope: "all" | "own" | "public"): Promise<PresetRow[]> {
    const q = this.db<PresetRow>("presets");
    if (scope === "own") q.where({ user_id: userId });
    else if (scope === "public") q.where({ is_public: true });
    else q.where((w) => w.where({ user_id: userId }).orWhere({ is_public: true }));
    return applyCursor(q, cursor).limit(limit + 1);
  }

  allOwned(userId: string): Promise<PresetRow[]> {
    return this.db<PresetRow>("presets").where({ user_id: userId }).orderBy("created_at");
  }

  async deleteOwned(userId: string, id: string): Promise<boolean> {
    return (await this.db("presets").where({ id, user_id: userId }).del()) > 0;
  }
}
