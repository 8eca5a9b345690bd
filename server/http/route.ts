// One declaration per route: method, path, access rule, zod schemas for params, query, body and response.
// mountRoute() uses the same declaration to validate the request and the response, to check roles and scopes,
// and to register the operation in the OpenAPI document: what is served is what is documented.
import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import type { Express, NextFunction, Request, Response } from "express";
import type { Services } from "../services/index.js";
import { ApiError, ProblemSchema, forbidden, validationError } from "./problem.js";
import { z } from "../schemas/zod.js";
import { assertStorable } from "./unstorableInput.js";
import type { Principal, Role, Scope } from "./context.js";

export type AuthRule =
  | { public: true }
  | {
      public?: false;
      roles: readonly Role[];
      /** The scope an API key must hold; routes without one cannot be called with an API key. */
      scope?: Scope;
    };

export interface RouteContext<P, Q, B, H = unknown> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  /** Request headers validated by the route's `headers` schema (lower-case names). */
  headers: H;
  /** Set on every route that is not public. */
  principal: Principal;
  services: Services;
  /** Response status; defaults to the declared one. */
  status?: number;
}

export interface RouteDef<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType, H extends z.ZodType = z.ZodType> {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Express path, e.g. /api/v1/projects/:id */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: AuthRule;
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the route reads (validated and documented; other headers pass through). */
  headers?: H;
  /**
   * JSON Pointers of body fields that are hashed and never stored or queried as text (passwords): the only ones
   * where a NUL character is accepted (http/unstorableInput.ts).
   */
  hashedFields?: readonly string[];
  /**
   * The handler writes the response itself (streams: downloads with Range, Server-Sent Events, uploads read
   * from the request stream); the declared response is still documented.
   */
  raw?: boolean;
  /** The request body a raw handler reads from the stream, by media type (documented as the requestBody). */
  rawBody?: { description: string; content: Record<string, { schema: Record<string, unknown> }> };
  /** Further documented responses (e.g. 206, 410, 409). */
  otherResponses?: Array<{ status: number; description: string; contentType?: string }>;
  response: { status: number; description: string; schema?: R; contentType?: string };
  /** Audit resource type of a mutating route (e.g. "project"). */
  resourceType?: string;
  /** Probes: no rate limit, no access log. */
  probe?: boolean;
  rateLimited?: boolean;
  handler(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>, z.output<H>>): Promise<z.input<R> | undefined>;
}

// Route declarations are stored type-erased; defineRoute keeps the typing at the declaration site.
export type AnyRoute = RouteDef<z.ZodType, z.ZodType, z.ZodType, z.ZodType, z.ZodType>;

export function defineRoute<
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodUndefined,
  H extends z.ZodType = z.ZodUndefined,
>(def: RouteDef<P, Q, B, R, H>): AnyRoute {
  return def as unknown as AnyRoute;
}

export const isMutating = (method: string) => !["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase());

/** Express `:id` to OpenAPI `{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

export interface RouteMiddleware {
  authenticate: (rule: AuthRule) => (req: Request, res: Response, next: NextFunction) => Promise<void>;
  rateLimit: (req: Request, res: Response, next: NextFunction) => Promise<void>;
  recordAudit: (req: Request, status: number) => Promise<void>;
  parseBody: (req: Request, res: Response, next: NextFunction) => void;
}

function checkAccess(rule: AuthRule, principal: Principal | undefined): void {
  if (rule.public) return;
  if (!principal) throw new ApiError(401, "unauthenticated");
  if (!rule.roles.includes(principal.user.role)) throw forbidden(`This needs one of the roles: ${rule.roles.join(", ")}`);
  if (principal.kind === "api_key") {
    if (!rule.scope) throw forbidden("API keys cannot call this route; use a user session");
    if (!principal.scopes.includes(rule.scope)) throw forbidden(`This API key lacks the scope ${rule.scope}`);
  }
}

export function mountRoute(app: Express, registry: OpenAPIRegistry, route: AnyRoute, services: Services, mw: RouteMiddleware): void {
  registerDocs(registry, route);
  const authorize = async (req: Request, _res: Response, next: NextFunction) => {
    checkAccess(route.auth, req.principal);
    next();
  };
  const handle = async (req: Request, res: Response) => {
    const parse = <S extends z.ZodType | undefined>(schema: S, value: unknown, where: "body" | "query" | "path" | "header") => {
      if (!schema) return undefined;
      const r = schema.safeParse(value);
      if (!r.success) throw validationError(r.error.issues, where);
      return r.data;
    };
    // Text the database cannot store is refused here, for every route and field, before the route's schema.
    assertStorable(req.params, "path");
    assertStorable(req.query, "query");
    if (route.body) assertStorable(req.body, "body", route.hashedFields);
    const params = parse(route.params, req.params, "path");
    const query = parse(route.query, { ...(req.query as object) }, "query");
    const body = parse(route.body, req.body ?? {}, "body");
    const headers = parse(route.headers, { ...req.headers }, "header");
    const ctx: RouteContext<unknown, unknown, unknown> = {
      req,
      res,
      params,
      query,
      body,
      headers,
      principal: req.principal as Principal,
      services,
    };
    const out = await route.handler(ctx);
    if (route.raw) return; // the handler answered (and recorded its audit row when it mutates)
    const status = ctx.status ?? route.response.status;
    const json = !route.response.contentType || route.response.contentType === "application/json";
    let payload: unknown = out;
    if (route.response.schema && status !== 204 && json) {
      // Responses go through their schema too: unknown (internal) fields are stripped, wrong shapes are a 500.
      const checked = route.response.schema.safeParse(out);
      if (!checked.success) throw new Error(`response of ${route.operationId} does not match its schema: ${checked.error.message}`);
      payload = checked.data;
    }
    // The audit row is written before the response leaves: a client that saw the response finds the record.
    if (isMutating(req.method)) await mw.recordAudit(req, status);
    if (!route.response.schema || status === 204) res.status(status).end();
    else if (json) res.status(status).json(payload);
    else res.status(status).type(route.response.contentType as string).send(payload);
  };
  const chain = [
    (req: Request, _res: Response, next: NextFunction) => {
      req.operationId = route.operationId;
      req.resourceType = route.resourceType;
      next();
    },
    mw.authenticate(route.auth),
    ...(route.probe || route.rateLimited === false ? [] : [mw.rateLimit]),
    authorize,
    ...(route.body ? [mw.parseBody] : []),
    handle,
  ];
  app[route.method](route.path, ...chain);
}

function registerDocs(registry: OpenAPIRegistry, route: AnyRoute): void {
  // A raw handler that reads a body must say what it accepts, or clients learn it from a 415.
  if (route.raw && ["post", "put", "patch"].includes(route.method) && !route.rawBody) throw new Error(`route ${route.operationId}: a raw ${route.method.toUpperCase()} route must document its request body (rawBody)`);
  const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } } });
  const limited = !route.probe && route.rateLimited !== false;
  const headers = {
    "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" },
    ...(limited ? { RateLimit: { $ref: "#/components/headers/RateLimit" }, "RateLimit-Policy": { $ref: "#/components/headers/RateLimit-Policy" } } : {}),
  };
  const responses: RouteConfig["responses"] = {
    [route.response.status]: route.response.schema
      ? { description: route.response.description, headers, content: { [route.response.contentType ?? "application/json"]: { schema: route.response.schema } } }
      : { description: route.response.description, headers },
  };
  for (const o of route.otherResponses ?? []) {
    responses[o.status] = o.contentType ? { description: o.description, headers, content: { [o.contentType]: { schema: { type: "string", format: "binary" } } } } : { description: o.description, headers };
  }
  if (route.params || route.query || route.body || route.headers) responses[422] = problem("Validation failed (validation_failed)");
  if (route.body) {
    responses[400] = problem("Malformed JSON (malformed_json)");
    responses[413] = problem("Body too large (payload_too_large)");
  }
  if (!route.auth.public) {
    responses[401] = problem("Missing or invalid credentials (unauthenticated)");
    responses[403] = problem("Role or scope missing (forbidden)");
  }
  if (route.params) responses[404] = problem("Not found, or not yours (not_found)");
  if (limited) responses[429] = problem("Rate limit exceeded (quota_exceeded); see Retry-After");
  if (!route.probe) responses[503] = problem("The database is unavailable (database_unavailable); see Retry-After");
  responses.default = problem("Any other error");
  const security: Array<Record<string, string[]>> = route.auth.public
    ? []
    : route.auth.scope
      ? [{ bearerAuth: [] }, { apiKey: [route.auth.scope] }]
      : [{ bearerAuth: [] }];
  registry.registerPath({
    method: route.method,
    path: openApiPath(route.path),
    operationId: route.operationId,
    summary: route.summary,
    description: [
      route.description,
      route.auth.public ? "Public." : `Roles: ${route.auth.roles.join(", ")}.${route.auth.scope ? ` API key scope: ${route.auth.scope}.` : " Not callable with an API key."}`,
    ]
      .filter(Boolean)
      .join("\n\n"),
    tags: route.tags,
    security,
    request: {
      ...(route.params ? { params: route.params as z.ZodObject } : {}),
      ...(route.query ? { query: route.query as z.ZodObject } : {}),
      ...(route.headers ? { headers: route.headers as z.ZodObject } : {}),
      ...(route.body ? { body: { required: true, content: { "application/json": { schema: route.body } } } } : {}),
      ...(route.rawBody ? { body: { required: true, description: route.rawBody.description, content: route.rawBody.content } } : {}),
    },
    responses,
  });
}
