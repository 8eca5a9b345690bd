// /api/v1/presets: own and public generation presets.
import { defineRoute } from "../http/route.js";
import { PageQuery, pageSchema } from "../http/pagination.js";
import { IdParams } from "../schemas/common.js";
import { CreatePresetBody, PresetListQuery, PresetSchema } from "../schemas/presets.js";

const tags = ["presets"];
const read = { roles: ["admin", "user", "viewer"] as const, scope: "presets:read" as const };
const write = { roles: ["admin", "user"] as const, scope: "presets:write" as const };

export const presetRoutes = [
  defineRoute({
    method: "post",
    path: "/api/v1/presets",
    operationId: "presets.create",
    summary: "Save generation parameters as a preset (checked against the pipeline parameter schema)",
    tags,
    auth: write,
    resourceType: "preset",
    body: CreatePresetBody,
    response: { status: 201, description: "The preset", schema: PresetSchema },
    handler: ({ req, body, principal, services }) => services.presets.create(req, principal, body),
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/presets",
    operationId: "presets.list",
    summary: "List your presets and public ones",
    tags,
    auth: read,
    query: PageQuery.extend(PresetListQuery.shape).strict(),
    response: { status: 200, description: "A page of presets", schema: pageSchema(PresetSchema, "PresetPage") },
    handler: ({ query, principal, services }) => services.presets.list(principal, query.limit, query.cursor, query.scope),
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/presets/:id",
    operationId: "presets.get",
    summary: "Get a preset (yours or public)",
    tags,
    auth: read,
    params: IdParams,
    response: { status: 200, description: "The preset", schema: PresetSchema },
    handler: ({ params, principal, services }) => services.presets.get(principal, params.id),
  }),
  defineRoute({
    method: "delete",
    path: "/api/v1/presets/:id",
    operationId: "presets.delete",
    summary: "Delete one of your presets",
    tags,
    auth: write,
    resourceType: "preset",
    params: IdParams,
    response: { status: 204, description: "Deleted" },
    handler: async ({ params, principal, services }) => {
      await services.presets.delete(principal, params.id);
      return undefined;
    },
  }),
];
