// createApp(deps): the Express application (no listening socket; see server.ts). Middleware order:
// request id + metrics/log hooks -> helmet -> CORS (off unless configured) -> routes (auth -> rate limit ->
// role/scope -> JSON body, size-limited -> validation -> handler -> response schema -> audit) -> 404 -> problem+json.
import { createRequire } from "node:module";
import cors from "cors";
import express, { type Express } from "express";
import helmet from "helmet";
import type { Logger } from "pino";
import type { ResolvedConfig } from "./bootstrap/secrets.js";
import type { Database } from "./db/knex.js";
import type { AnyRoute } from "./http/route.js";
import { mountRoute } from "./http/route.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { authenticate } from "./middleware/auth.js";
import { errorHandler, notFoundHandler } from "./middleware/errors.js";
import { rateLimit } from "./middleware/rateLimit.js";
import { PendingWrites, requestContext } from "./middleware/requestContext.js";
import { createRegistry, generateDocument } from "./openapi.js";
import { adminRoutes } from "./routes/admin.js";
import { apiKeyRoutes } from "./routes/apiKeys.js";
import { authRoutes } from "./routes/auth.js";
import { meRoutes } from "./routes/me.js";
import { presetRoutes } from "./routes/presets.js";
import { projectRoutes } from "./routes/projects.js";
import { type Runtime, systemRoutes } from "./routes/system.js";
import { billingRoutes } from "./routes/billing.js";
import { opsRoutes } from "./routes/ops.js";
import { videoRoutes } from "./routes/videos.js";
import { createServices, type Services } from "./services/index.js";

export interface AppDeps {
  config: ResolvedConfig;
  db: Database;
  logger: Logger;
  metrics?: Metrics;
}

export interface AppHandle {
  app: Express;
  services: Services;
  runtime: Runtime;
  routes: AnyRoute[];
  /** Waits for fire-and-forget writes (usage records) to land. */
  flush(): Promise<void>;
}

export function createApp(deps: AppDeps): AppHandle {
  const { config, db, logger } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const services = createServices(config, db, logger, metrics);
  const registry = createRegistry();
  let document: object | undefined;
  const runtime: Runtime = { draining: false, metrics, openApiDocument: () => (document ??= generateDocument(registry)) };
  const pending = new PendingWrites();

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  app.set("query parser", "simple"); // no nested objects from query strings
  app.use(requestContext(logger, metrics, services.repos.usage, pending));
  // helmet's defaults, except upgrade-insecure-requests: the server is often reached over plain HTTP (localhost,
  // or TLS ended at a proxy), where that directive would send the docs page's own assets to https and break it.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  if (config.corsOrigins.length) {
    app.use(
      cors({
        origin: config.corsOrigins,
        credentials: false,
        exposedHeaders: ["X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After"],
        maxAge: 600,
      }),
    );
  }
  // Swagger UI's files from the swagger-ui-dist package: the docs work offline.
  const swaggerDir = (createRequire(import.meta.url)("swagger-ui-dist") as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();
  app.use("/docs/assets", express.static(swaggerDir, { index: false, maxAge: "1h" }));
  // Every other response is private and not to be stored by browsers or proxies: tokens (login, refresh), new API
  // keys, personal data (me, export), jobs and their videos (RFC 9111 no-store; Pragma for HTTP/1.0 caches, as
  // RFC 6749 5.1 asks of token responses).
  app.use((_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Pragma", "no-cache");
    next();
  });

  const routes: AnyRoute[] = [
    ...systemRoutes(runtime),
    ...authRoutes,
    ...meRoutes,
    ...apiKeyRoutes,
    ...projectRoutes,
    ...presetRoutes,
    ...adminRoutes,
    ...videoRoutes(() => runtime.draining),
    ...billingRoutes,
    ...opsRoutes,
  ];
  const mw = {
    authenticate: authenticate(services, metrics),
    rateLimit: rateLimit(services, metrics),
    recordAudit: (req: express.Request, status: number) => services.audit.recordRequest(req, status),
    // Bodies are parsed per route, after authentication, rate limit and access checks: nobody gets a large body
    // parsed before being allowed to call the route, and unknown routes never parse one.
    parseBody: express.json({ limit: config.bodyLimitBytes, type: ["application/json", "application/*+json"] }),
  };
  for (const route of routes) mountRoute(app, registry, route, services, mw);

  app.use(notFoundHandler);
  app.use(errorHandler(services));
  return { app, services, runtime, routes, flush: () => pending.flush() };
}
