// Who is calling: resolved by the authentication middleware and read by every handler.
import type { UserRow } from "../repositories/usersRepository.js";

export const ROLES = ["admin", "user", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** API key scopes. A key can only hold scopes its owner's role allows (see scopesForRole). */
export const SCOPES = [
  "projects:read",
  "projects:write",
  "presets:read",
  "presets:write",
  "jobs:read",
  "jobs:write",
  "admin",
] as const;
export type Scope = (typeof SCOPES)[number];

export function scopesForRole(role: Role): readonly Scope[] {
  if (role === "admin") return SCOPES;
  if (role === "user") return SCOPES.filter((s) => s !== "admin");
  return SCOPES.filter((s) => s.endsWith(":read"));
}

export type Principal =
  | { kind: "user"; user: UserRow }
  | { kind: "api_key"; user: UserRow; apiKeyId: string; scopes: Scope[] };

/** What the audit record of a mutating call says beyond method, path and status; handlers fill it in. */
export interface AuditNote {
  userId?: string | null;
  resourceId?: string;
  details?: Record<string, unknown>;
}

declare module "express-serve-static-core" {
  interface Request {
    requestId: string;
    principal?: Principal;
    /** operationId of the matched route; the audit action. */
    operationId?: string;
    resourceType?: string;
    audit: AuditNote;
    startedAt: bigint;
    /** Why a presented token was refused (for metrics and logs, never in the response). */
    authFailure?: string;
  }
}
