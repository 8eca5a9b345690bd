// /api/v1/admin bodies and queries.
import type { AuditLogRow } from "../repositories/auditLogsRepository.js";
import { Timestamp, iso } from "./common.js";
import { RoleSchema } from "./users.js";
import { z } from "./zod.js";

export const AdminUserListQuery = z.object({ role: RoleSchema.optional(), email: z.string().max(254).optional() });

export const AdminUpdateUserBody = z
  .object({ role: RoleSchema.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((b) => b.role !== undefined || b.disabled !== undefined, { message: "give role and/or disabled" })
  .openapi("AdminUpdateUserRequest");

export const AuditLogQuery = z.object({
  user_id: z.uuid().optional(),
  action: z.string().max(100).optional(),
  resource_type: z.string().max(50).optional(),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
});

export const AuditLogSchema = z
  .object({
    id: z.uuid(),
    user_id: z.uuid().nullable(),
    api_key_id: z.uuid().nullable(),
    action: z.string(),
    resource_type: z.string().nullable(),
    resource_id: z.string().nullable(),
    method: z.string(),
    path: z.string(),
    status: z.number().int(),
    ip: z.string().nullable(),
    request_id: z.string(),
    details: z.record(z.string(), z.unknown()),
    created_at: Timestamp,
  })
  .openapi("AuditLogEntry");

export const auditView = (a: AuditLogRow): z.infer<typeof AuditLogSchema> => ({
  ...a,
  created_at: iso(a.created_at) as string,
});
