// audit_logs table.
import type { Knex } from "knex";
import { applyCursor, type Cursor } from "../http/pagination.js";

export interface AuditLogRow {
  id: string;
  user_id: string | null;
  api_key_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  method: string;
  path: string;
  status: number;
  ip: string | null;
  request_id: string;
  details: Record<string, unknown>;
  created_at: Date;
}

export interface AuditFilter {
  userId?: string;
  action?: string;
  resourceType?: string;
  since?: Date;
  until?: Date;
}

export class AuditLogsRepository {
  constructor(private readonly db: Knex) {}

  async insert(row: Omit<AuditLogRow, "id" | "created_at">): Promise<void> {
    await this.db("audit_logs").insert({ ...row, details: JSON.stringify(row.details) });
  }

  list(filter: AuditFilter, limit: number, cursor?: Cursor): Promise<AuditLogRow[]> {
    const q = this.db<AuditLogRow>("audit_logs");
    if (filter.userId) q.where({ user_id: filter.userId });
    if (filter.action) q.where({ action: filter.action });
    if (filter.resourceType) q.where({ resource_type: filter.resourceType });
    if (filter.since) q.where("created_at", ">=", filter.since);
    if (filter.until) q.where("created_at", "<", filter.until);
    return applyCursor(q, cursor).limit(limit + 1);
  }

  allForUser(userId: string): Promise<AuditLogRow[]> {
    return this.db<AuditLogRow>("audit_logs").where({ user_id: userId }).orderBy("created_at");
  }
}
