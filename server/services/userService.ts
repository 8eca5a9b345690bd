// Accounts seen from the user (profile, GDPR export and erasure) and from an administrator.
import type { Knex } from "knex";
import type { Request } from "express";
import type { Principal, Role } from "../http/context.js";
import type { CursorCodec } from "../http/pagination.js";
import { ApiError, notFound, unauthenticated } from "../http/problem.js";
import type { ApiKeysRepository } from "../repositories/apiKeysRepository.js";
import type { ApiUsageRepository } from "../repositories/apiUsageRepository.js";
import type { AuditLogsRepository } from "../repositories/auditLogsRepository.js";
import type { PresetsRepository } from "../repositories/presetsRepository.js";
import type { ProjectsRepository } from "../repositories/projectsRepository.js";
import type { RefreshTokensRepository } from "../repositories/refreshTokensRepository.js";
import type { UsersRepository } from "../repositories/usersRepository.js";
import { auditView } from "../schemas/admin.js";
import { apiKeyView } from "../schemas/apiKeys.js";
import { iso } from "../schemas/common.js";
import { presetView } from "../schemas/presets.js";
import { projectView } from "../schemas/projects.js";
import { userView } from "../schemas/users.js";
import type { PasswordHasher } from "./passwords.js";

export interface UserRepos {
  users: UsersRepository;
  apiKeys: ApiKeysRepository;
  refreshTokens: RefreshTokensRepository;
  projects: ProjectsRepository;
  presets: PresetsRepository;
  audit: AuditLogsRepository;
  usage: ApiUsageRepository;
}

export class UserService {
  constructor(
    private readonly db: Knex,
    private readonly repos: UserRepos,
    private readonly passwords: PasswordHasher,
    private readonly cursors: CursorCodec,
  ) {}

  /** Everything stored about the caller, as JSON (GDPR art. 15/20). Secrets (hashes) are left out. */
  async export(who: Principal) {
    const id = who.user.id;
    const [user, keys, tokens, projects, presets, audit, usage, jobs, billing] = await Promise.all([
      this.repos.users.findById(id),
      this.repos.apiKeys.allOwned(id),
      this.repos.refreshTokens.allForUser(id),
      this.repos.projects.allOwned(id),
      this.repos.presets.allOwned(id),
      this.repos.audit.allForUser(id),
      this.repos.usage.allForUser(id),
      this.db("jobs").where({ user_id: id }).orderBy("created_at"),
      this.db("billing_transactions").where({ user_id: id }).orderBy("created_at"),
    ]);
    if (!user) throw notFound("User");
    return {
      exported_at: new Date().toISOString(),
      user: userView(user),
      api_keys: keys.map(apiKeyView),
      sessions: tokens.map((t) => ({
        family_id: t.family_id,
        created_at: iso(t.created_at),
        expires_at: iso(t.expires_at),
        used_at: iso(t.used_at),
        revoked_at: iso(t.revoked_at),
        ip: t.ip,
        user_agent: t.user_agent,
      })),
      projects: projects.map(projectView),
      presets: presets.map((p) => presetView(p, id)),
      jobs: jobs.map((j: Record<string, unknown>) => ({ ...j, user_id: undefined })),
      billing_transactions: billing.map((b: Record<string, unknown>) => ({ ...b, user_id: undefined })),
      audit_log: audit.map(auditView),
      api_usage: usage.map((u) => ({ ...u, created_at: iso(u.created_at) })),
    };
  }

  /** Erasure (GDPR art. 17): the account and everything that cascades from it; audit rows lose the link. */
  async deleteSelf(req: Request, who: Principal, password: string): Promise<void> {
    if (!(await this.passwords.verify(password, who.user.password_hash))) throw unauthenticated("Password does not match");
    if (who.user.role === "admin" && (await this.repos.users.countAdmins()) <= 1) {
      throw new ApiError(409, "conflict", "The last administrator cannot delete their account; promote another admin first");
    }
    await this.repos.users.delete(who.user.id);
    // The audit row must not point at the deleted user (and cannot: the foreign key would refuse it).
    req.audit.userId = null;
    req.audit.resourceId = who.user.id;
    req.audit.details = { erased: true };
  }

  async adminList(limit: number, cursor: string | undefined, filter: { role?: Role; email?: string }) {
    const rows = await this.repos.users.list({ limit, cursor: this.cursors.decode(cursor), ...filter });
    return this.cursors.page(rows, limit, userView);
  }

  async adminUpdate(req: Request, admin: Principal, id: string, patch: { role?: Role; disabled?: boolean }) {
    const target = await this.repos.users.findById(id);
    if (!target) throw notFound("User");
    if (target.id === admin.user.id) throw new ApiError(409, "conflict", "Administrators cannot change their own role or disable themselves");
    const update: { role?: Role; disabled_at?: Date | null } = {};
    if (patch.role) update.role = patch.role;
    if (patch.disabled !== undefined) update.disabled_at = patch.disabled ? (target.disabled_at ?? new Date()) : null;
    const row = await this.repos.users.update(id, update);
    // A disabled account loses its sessions at once (access tokens are refused too: the user row is checked).
    if (patch.disabled) await this.repos.refreshTokens.revokeAllForUser(id);
    req.audit.details = { before: { role: target.role, disabled: !!target.disabled_at }, after: patch };
    return userView(row ?? target);
  }

  async adminDelete(req: Request, admin: Principal, id: string): Promise<void> {
    if (id === admin.user.id) throw new ApiError(409, "conflict", "Use DELETE /api/v1/me to delete your own account");
    const target = await this.repos.users.findById(id);
    if (!target) throw notFound("User");
    await this.repos.users.delete(id);
    req.audit.details = { email: target.email, role: target.role };
  }

  async auditLog(limit: number, cursor: string | undefined, filter: { user_id?: string; action?: string; resource_type?: string; since?: string; until?: string }) {
    const rows = await this.repos.audit.list(
      {
        userId: filter.user_id,
        action: filter.action,
        resourceType: filter.resource_type,
        since: filter.since ? new Date(filter.since) : undefined,
        until: filter.until ? new Date(filter.until) : undefined,
      },
      limit,
      this.cursors.decode(cursor),
    );
    return this.cursors.page(rows, limit, auditView);
  }
}
