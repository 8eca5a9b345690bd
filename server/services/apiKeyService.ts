// API keys for server-to-server calls: created by a signed-in user for themselves, within their role's scopes.
import type { Request } from "express";
import { type Principal, type Scope, scopesForRole } from "../http/context.js";
import type { CursorCodec } from "../http/pagination.js";
import { ApiError, forbidden, notFound } from "../http/problem.js";
import type { ApiKeyRow, ApiKeysRepository } from "../repositories/apiKeysRepository.js";
import { apiKeyView } from "../schemas/apiKeys.js";
import type { ApiKeyCodec } from "./tokens.js";

export const MAX_KEYS_PER_USER = 50;

export class ApiKeyService {
  constructor(private readonly repo: ApiKeysRepository, private readonly codec: ApiKeyCodec, private readonly cursors: CursorCodec) {}

  async create(req: Request, who: Principal, input: { name: string; scopes: Scope[]; expires_at?: string }) {
    const allowed = scopesForRole(who.user.role);
    const extra = input.scopes.filter((s) => !allowed.includes(s));
    if (extra.length) throw forbidden(`Your role (${who.user.role}) cannot grant: ${extra.join(", ")}`);
    const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ApiError(422, "validation_failed", "body /expires_at: must be in the future", {
        errors: [{ pointer: "/expires_at", in: "body", message: "must be in the future" }],
      });
    }
    const active = (await this.repo.allOwned(who.user.id)).filter((k) => !k.revoked_at);
    if (active.length >= MAX_KEYS_PER_USER) throw new ApiError(409, "conflict", `At most ${MAX_KEYS_PER_USER} active API keys; revoke one first`);
    const g = this.codec.generate();
    const row = await this.repo.create({
      user_id: who.user.id,
      name: input.name,
      prefix: g.prefix,
      secret_hash: g.secretHash,
      last4: g.last4,
      scopes: [...new Set(input.scopes)],
      expires_at: expiresAt,
    });
    req.audit.resourceId = row.id;
    req.audit.details = { name: row.name, prefix: row.prefix, scopes: row.scopes };
    return { ...apiKeyView(row), key: g.key };
  }

  async list(who: Principal, limit: number, cursor: string | undefined) {
    const rows = await this.repo.listOwned(who.user.id, limit, this.cursors.decode(cursor));
    return this.cursors.page(rows, limit, apiKeyView);
  }

  async revoke(who: Principal, id: string): Promise<ApiKeyRow> {
    const row = await this.repo.findOwned(who.user.id, id);
    if (!row) throw notFound("API key");
    await this.repo.revoke(id);
    return row;
  }
}
