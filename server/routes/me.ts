// /api/v1/me: the caller's profile, data export and erasure (GDPR).
import { ROLES } from "../http/context.js";
import { defineRoute } from "../http/route.js";
import { ApiKeySchema } from "../schemas/apiKeys.js";
import { PasswordInput } from "../schemas/common.js";
import { PresetSchema } from "../schemas/presets.js";
import { ProjectSchema } from "../schemas/projects.js";
import { AuditLogSchema } from "../schemas/admin.js";
import { UserSchema, userView } from "../schemas/users.js";
import { z } from "../schemas/zod.js";

const tags = ["me"];
const session = { roles: ROLES };

const Row = z.record(z.string(), z.unknown());
const ExportSchema = z
  .object({
    exported_at: z.string(),
    user: UserSchema,
    api_keys: z.array(ApiKeySchema),
    sessions: z.array(Row),
    projects: z.array(ProjectSchema),
    presets: z.array(PresetSchema),
    jobs: z.array(Row),
    billing_transactions: z.array(Row),
    audit_log: z.array(AuditLogSchema),
    api_usage: z.array(Row),
  })
  .openapi("DataExport");

export const meRoutes = [
  defineRoute({
    method: "get",
    path: "/api/v1/me",
    operationId: "me.get",
    summary: "Your account",
    tags,
    auth: session,
    response: { status: 200, description: "Your account", schema: UserSchema },
    handler: async ({ principal }) => userView(principal.user),
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/me/export",
    operationId: "me.export",
    summary: "Everything stored about you, as JSON (GDPR access and portability)",
    tags,
    auth: session,
    response: { status: 200, description: "Your data", schema: ExportSchema },
    handler: async ({ res, principal, services }) => {
      res.setHeader("Content-Disposition", 'attachment; filename="aiprod-export.json"');
      return services.users.export(principal);
    },
  }),
  defineRoute({
    method: "delete",
    path: "/api/v1/me",
    operationId: "me.delete",
    summary: "Delete your account and all its data (GDPR erasure); needs your password",
    tags,
    auth: session,
    resourceType: "user",
    body: z.object({ password: PasswordInput }).strict().openapi("DeleteAccountRequest"),
    hashedFields: ["/password"],
    response: { status: 204, description: "Deleted" },
    handler: async ({ req, body, principal, services }) => {
      await services.users.deleteSelf(req, principal, body.password);
      return undefined;
    },
  }),
];
