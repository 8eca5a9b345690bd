// /api/v1/projects: CRUD on the caller's projects.
import { defineRoute } from "../http/route.js";
import { PageQuery, pageSchema } from "../http/pagination.js";
import { IdParams } from "../schemas/common.js";
import { CreateProjectBody, ProjectSchema, UpdateProjectBody } from "../schemas/projects.js";

const tags = ["projects"];
const read = { roles: ["admin", "user", "viewer"] as const, scope: "projects:read" as const };
const write = { roles: ["admin", "user"] as const, scope: "projects:write" as const };

export const projectRoutes = [
  defineRoute({
    method: "post",
    path: "/api/v1/projects",
    operationId: "projects.create",
    summary: "Create a project",
    tags,
    auth: write,
    resourceType: "project",
    body: CreateProjectBody,
    response: { status: 201, description: "The project", schema: ProjectSchema },
    handler: ({ req, body, principal, services }) => services.projects.create(req, principal, body),
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/projects",
    operationId: "projects.list",
    summary: "List your projects, newest first",
    tags,
    auth: read,
    query: PageQuery.strict(),
    response: { status: 200, description: "A page of projects", schema: pageSchema(ProjectSchema, "ProjectPage") },
    handler: ({ query, principal, services }) => services.projects.list(principal, query.limit, query.cursor),
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/projects/:id",
    operationId: "projects.get",
    summary: "Get one of your projects",
    tags,
    auth: read,
    params: IdParams,
    response: { status: 200, description: "The project", schema: ProjectSchema },
    handler: ({ params, principal, services }) => services.projects.get(principal, params.id),
  }),
  defineRoute({
    method: "patch",
    path: "/api/v1/projects/:id",
    operationId: "projects.update",
    summary: "Rename or describe a project",
    tags,
    auth: write,
    resourceType: "project",
    params: IdParams,
    body: UpdateProjectBody,
    response: { status: 200, description: "The project", schema: ProjectSchema },
    handler: ({ params, body, principal, services }) => services.projects.update(principal, params.id, body),
  }),
  defineRoute({
    method: "delete",
    path: "/api/v1/projects/:id",
    operationId: "projects.delete",
    summary: "Delete a project",
    tags,
    auth: write,
    resourceType: "project",
    params: IdParams,
    response: { status: 204, description: "Deleted" },
    handler: async ({ params, principal, services }) => {
      await services.projects.delete(principal, params.id);
      return undefined;
    },
  }),
];
