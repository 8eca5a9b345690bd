// /api/v1/admin: user management and the system audit log (role admin; API keys need the admin scope).
import { defineRoute } from "../http/route.js";
import { PageQuery, pageSchema } from "../http/pagination.js";
import { AdminUpdateUserBody, AdminUserListQuery, AuditLogQuery, AuditLogSchema } from "../schemas/admin.js";
import { IdParams } from "../schemas/common.js";
import { UserSchema } from "../schemas/users.js";

const tags = ["admin"];
const auth = { roles: ["admin"] as const, scope: "admin" as const };

export const adminRoutes = [
  defineRoute({
    method: "get",
    path: "/api/v1/admin/users",
    operationId: "admin.users.list",
    summary: "List accounts (filter by role or email substring)",
    tags,
    auth,
    query: PageQuery.extend(AdminUserListQuery.shape).strict(),
    response: { status: 200, description: "A page of users", schema: pageSchema(UserSchema, "UserPage") },
    handler: ({ query, services }) => services.users.adminList(query.limit, query.cursor, { role: query.role, email: query.email }),
  }),
  defineRoute({
    method: "patch",
    path: "/api/v1/admin/users/:id",
    operationId: "admin.users.update",
    summary: "Change a user's role, or disable / enable the account",
    tags,
    auth,
    resourceType: "user",
    params: IdParams,
    body: AdminUpdateUserBody,
    response: { status: 200, description: "The user", schema: UserSchema },
    handler: ({ req, params, body, principal, services }) => services.users.adminUpdate(req, principal, params.id, body),
  }),
  defineRoute({
    method: "delete",
    path: "/api/v1/admin/users/:id",
    operationId: "admin.users.delete",
    summary: "Delete an account and its data",
    tags,
    auth,
    resourceType: "user",
    params: IdParams,
    response: { status: 204, description: "Deleted" },
    handler: async ({ req, params, principal, services }) => {
      await services.users.adminDelete(req, principal, params.id);
      return undefined;
    },
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/admin/system/logs",
    operationId: "admin.system.logs",
    summary: "The audit log, newest first (filter by user, action, resource type, time range)",
    tags,
    auth,
    query: PageQuery.extend(AuditLogQuery.shape).strict(),
    response: { status: 200, description: "A page of audit entries", schema: pageSchema(AuditLogSchema, "AuditLogPage") },
    handler: ({ query, services }) => services.users.auditLog(query.limit, query.cursor, query),
  }),
];
