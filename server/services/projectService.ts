// Projects: every operation is scoped to the caller; another user's project is "not found".
import type { Request } from "express";
import type { Principal } from "../http/context.js";
import type { CursorCodec } from "../http/pagination.js";
import { notFound } from "../http/problem.js";
import type { ProjectsRepository } from "../repositories/projectsRepository.js";
import { projectView } from "../schemas/projects.js";

export class ProjectService {
  constructor(private readonly repo: ProjectsRepository, private readonly cursors: CursorCodec) {}

  async create(req: Request, who: Principal, input: { name: string; description?: string | null }) {
    const row = await this.repo.create(who.user.id, input);
    req.audit.resourceId = row.id;
    return projectView(row);
  }

  async list(who: Principal, limit: number, cursor: string | undefined) {
    const rows = await this.repo.listOwned(who.user.id, limit, this.cursors.decode(cursor));
    return this.cursors.page(rows, limit, projectView);
  }

  async get(who: Principal, id: string) {
    const row = await this.repo.findOwned(who.user.id, id);
    if (!row) throw notFound("Project");
    return projectView(row);
  }

  async update(who: Principal, id: string, patch: { name?: string; description?: string | null }) {
    const row = await this.repo.updateOwned(who.user.id, id, patch);
    if (!row) throw notFound("Project");
    return projectView(row);
  }

  async delete(who: Principal, id: string): Promise<void> {
    if (!(await this.repo.deleteOwned(who.user.id, id))) throw notFound("Project");
  }
}
