// Presets: own ones plus public ones are visible; only the owner deletes.
import type { Request } from "express";
import type { Principal } from "../http/context.js";
import type { CursorCodec } from "../http/pagination.js";
import { forbidden, notFound } from "../http/problem.js";
import type { PresetsRepository } from "../repositories/presetsRepository.js";
import type { GenerationParams } from "../schemas/generationParams.js";
import { presetView } from "../schemas/presets.js";

export class PresetService {
  constructor(private readonly repo: PresetsRepository, private readonly cursors: CursorCodec) {}

  async create(req: Request, who: Principal, input: { name: string; description?: string | null; params: GenerationParams; is_public: boolean }) {
    const row = await this.repo.create(who.user.id, { ...input, isPublic: input.is_public });
    req.audit.resourceId = row.id;
    return presetView(row, who.user.id);
  }

  async list(who: Principal, limit: number, cursor: string | undefined, scope: "all" | "own" | "public") {
    const rows = await this.repo.listVisible(who.user.id, limit, this.cursors.decode(cursor), scope);
    return this.cursors.page(rows, limit, (r) => presetView(r, who.user.id));
  }

  async get(who: Principal, id: string) {
    const row = await this.repo.findVisible(who.user.id, id);
    if (!row) throw notFound("Preset");
    return presetView(row, who.user.id);
  }

  async delete(who: Principal, id: string): Promise<void> {
    const row = await this.repo.findVisible(who.user.id, id);
    if (!row) throw notFound("Preset");
    // Visible (public) but someone else's: the caller knows it exists, so say why it cannot go.
    if (row.user_id !== who.user.id) throw forbidden("Only the owner can delete a preset");
    await this.repo.deleteOwned(who.user.id, id);
  }
}
