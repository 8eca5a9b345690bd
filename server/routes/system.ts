// Probes, metrics, and the API description: /livez, /readyz, /health, /metrics, /openapi.json, /docs.
import { z } from "../schemas/zod.js";
import { defineRoute } from "../http/route.js";
import type { Metrics } from "../metrics.js";
import { migrationStatus } from "../db/migrate.js";
import type { Services } from "../services/index.js";
import { packageVersion } from "../version.js";
import { DATABASE_RETRY_AFTER_S, isDatabaseUnavailable } from "../db/unavailable.js";

export interface Runtime {
  draining: boolean;
  metrics: Metrics;
  openApiDocument: () => object;
}

const tags = ["system"];

const CheckSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() });
const ReadySchema = z
  .object({ status: z.enum(["ok", "unavailable"]), checks: z.array(CheckSchema) })
  .openapi("Readiness");
const HealthSchema = ReadySchema.extend({
  version: z.string(),
  uptime_s: z.number(),
  database: z.enum(["embedded", "postgres"]),
}).openapi("Health");

async function checks(services: Services, rt: Runtime): Promise<z.infer<typeof CheckSchema>[]> {
  const out: z.infer<typeof CheckSchema>[] = [];
  const knex = services.db.knex;
  try {
    const t0 = Date.now();
    await Promise.race([
      knex.raw("select 1"),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout after 2000 ms")), 2000).unref()),
    ]);
    out.push({ name: "database", ok: true, detail: `${Date.now() - t0} ms` });
    const m = await migrationStatus(knex);
    out.push({ name: "migrations", ok: m.pending.length === 0, detail: m.pending.length ? `pending: ${m.pending.join(", ")}` : `${m.applied.length} applied` });
  } catch (e) {
    // Public probe: say what is wrong, not the driver's message (it names internal hosts and ports).
    out.push({ name: "database", ok: false, detail: isDatabaseUnavailable(e) || /timeout after/.test((e as Error).message) ? "unreachable" : "query failed" });
  }
  out.push({ name: "accepting", ok: !rt.draining, ...(rt.draining ? { detail: "shutting down" } : {}) });
  return out;
}

export function systemRoutes(rt: Runtime) {
  return [
    defineRoute({
      method: "get",
      path: "/livez",
      operationId: "system.livez",
      summary: "Liveness: the process answers (no dependency checks)",
      tags,
      auth: { public: true },
      probe: true,
      response: { status: 200, description: "Alive", schema: z.object({ status: z.literal("ok") }) },
      handler: async () => ({ status: "ok" as const }),
    }),
    defineRoute({
      method: "get",
      path: "/readyz",
      operationId: "system.readyz",
      summary: "Readiness: database reachable, migrations current, not shutting down (503 otherwise)",
      tags,
      auth: { public: true },
      probe: true,
      response: { status: 200, description: "Ready (503 with the same body when not)", schema: ReadySchema },
      handler: async (ctx) => {
        const c = await checks(ctx.services, rt);
        const ok = c.every((x) => x.ok);
        ctx.status = ok ? 200 : 503;
        if (!ok) ctx.res.setHeader("Retry-After", String(DATABASE_RETRY_AFTER_S));
        return { status: ok ? ("ok" as const) : ("unavailable" as const), checks: c };
      },
    }),
    defineRoute({
      method: "get",
      path: "/health",
      operationId: "system.health",
      summary: "Readiness checks plus version, uptime and database kind",
      tags,
      auth: { public: true },
      probe: true,
      response: { status: 200, description: "Healthy (503 with the same body when not)", schema: HealthSchema },
      handler: async (ctx) => {
        const c = await checks(ctx.services, rt);
        const ok = c.every((x) => x.ok);
        ctx.status = ok ? 200 : 503;
        return {
          status: ok ? ("ok" as const) : ("unavailable" as const),
          checks: c,
          version: packageVersion(),
          uptime_s: Math.round(process.uptime()),
          database: ctx.services.db.kind,
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/metrics",
      operationId: "system.metrics",
      summary: "Prometheus metrics (admins; or unauthenticated on METRICS_PORT, a separate listener)",
      tags,
      auth: { roles: ["admin"], scope: "admin" },
      rateLimited: false,
      response: { status: 200, description: "Prometheus text format", schema: z.string(), contentType: "text/plain; version=0.0.4" },
      handler: async () => rt.metrics.registry.metrics(),
    }),
    defineRoute({
      method: "get",
      path: "/openapi.json",
      operationId: "system.openapi",
      summary: "This API's OpenAPI 3.1 document",
      tags,
      auth: { public: true },
      rateLimited: false,
      response: { status: 200, description: "OpenAPI 3.1", schema: z.record(z.string(), z.unknown()) },
      handler: async () => rt.openApiDocument() as Record<string, unknown>,
    }),
    defineRoute({
      method: "get",
      path: "/docs",
      operationId: "system.docs",
      summary: "Interactive API documentation (Swagger UI, served locally, no CDN)",
      tags,
      auth: { public: true },
      rateLimited: false,
      response: { status: 200, description: "HTML page", schema: z.string(), contentType: "text/html" },
      handler: async () => DOCS_HTML,
    }),
    defineRoute({
      method: "get",
      path: "/docs/init.js",
      operationId: "system.docsInit",
      summary: "Script of the documentation page (a file, so the Content-Security-Policy needs no inline script)",
      tags,
      auth: { public: true },
      rateLimited: false,
      response: { status: 200, description: "JavaScript", schema: z.string(), contentType: "text/javascript" },
      handler: async () => DOCS_INIT,
    }),
  ];
}

// Swagger UI bootstrap, served as its own file so the page needs no inline script under helmet's CSP.
const DOCS_INIT = 'window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });\n';

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>AIPROD API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;
