// /api/v1/api-keys: a signed-in user's keys (sessions only: a key cannot mint keys).
import { defineRoute } from "../http/route.js";
import { PageQuery, pageSchema } from "../http/pagination.js";
import { ApiKeySchema, CreateApiKeyBody, CreatedApiKeySchema, apiKeyView } from "../schemas/apiKeys.js";
import { IdParams } from "../schemas/common.js";
import { ROLES } from "../http/context.js";

const tags = ["api-keys"];
const auth = { roles: ROLES };

export const apiKeyRoutes = [
  defineRoute({
    method: "post",
    path: "/api/v1/api-keys",
    operationId: "apiKeys.create",
    summary: "Create an API key; the key is in this response only",
    tags,
    auth,
    resourceType: "api_key",
    body: CreateApiKeyBody,
    response: { status: 201, description: "The key, shown once", schema: CreatedApiKeySchema },
    handler: ({ req, body, principal, services }) => services.apiKeys.create(req, principal, body),
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/api-keys",
    operationId: "apiKeys.list",
    summary: "List your API keys (never the secrets)",
    tags,
    auth,
    query: PageQuery.strict(),
    response: { status: 200, description: "A page of keys", schema: pageSchema(ApiKeySchema, "ApiKeyPage") },
    handler: ({ query, principal, services }) => services.apiKeys.list(principal, query.limit, query.cursor),
  }),
  defineRoute({
    method: "delete",
    path: "/api/v1/api-keys/:id",
    operationId: "apiKeys.revoke",
    summary: "Revoke an API key (effective on the next request)",
    tags,
    auth,
    resourceType: "api_key",
    params: IdParams,
    response: { status: 200, description: "The revoked key", schema: ApiKeySchema },
    handler: async ({ params, principal, services }) => {
      const row = await services.apiKeys.revoke(principal, params.id);
      return apiKeyView({ ...row, revoked_at: row.revoked_at ?? new Date() });
    },
  }),
];
