// API9 (inventory): every route Express serves is in /openapi.json, and every documented operation is served.
// The comparison walks Express's own router, not our route list, so a route mounted by hand would be caught.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import t from "tap";
import { createApp } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { openDatabase } from "../../server/db/knex.js";
import { createLogger } from "../../server/logger.js";
import { Client } from "../helpers/server.js";

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

t.test("OpenAPI document and Express routes match", async (t) => {
  // The document and the docs page need no database: knex connects lazily, and these routes never query.
  const db = openDatabase({ url: "postgres://nobody@127.0.0.1:1/none", embeddedDir: "" });
  const secret = () => randomBytes(32).toString("base64url");
  const config = { ...loadConfig({ NODE_ENV: "test", BCRYPT_COST: "4" }), jwtSecret: secret(), apiKeyPepper: secret() };
  const handle = createApp({ config, db, logger: createLogger("silent") });
  const server = createServer(handle.app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.knex.destroy();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ts = { url, client: new Client(url), server: { handle } };
  const doc = await ts.client.get("/openapi.json");
  t.equal(doc.status, 200);
  t.equal(doc.body.openapi, "3.1.0");

  const stack = (ts.server.handle.app as unknown as { router: { stack: Layer[] } }).router.stack;
  const served = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== "_all") served.add(`${method.toUpperCase()} ${layer.route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`);
    }
  }
  const documented = new Set<string>();
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(doc.body.paths as Record<string, Record<string, { operationId?: string; responses?: object }>>)) {
    for (const [method, op] of Object.entries(item)) {
      documented.add(`${method.toUpperCase()} ${path}`);
      t.ok(op.operationId, `${method} ${path} has an operationId`);
      t.notOk(operationIds.has(op.operationId as string), `${op.operationId} is unique`);
      operationIds.add(op.operationId as string);
      t.ok(op.responses && "default" in op.responses, `${method} ${path} documents its problem responses`);
    }
  }
  t.ok(served.size >= 25, `Express serves ${served.size} routes`);
  t.same([...served].filter((r) => !documented.has(r)).sort(), [], "every served route is documented");
  t.same([...documented].filter((r) => !served.has(r)).sort(), [], "every documented route is served");
  for (const must of ["POST /api/v1/auth/login", "GET /api/v1/admin/system/logs", "DELETE /api/v1/me", "GET /metrics", "GET /readyz"]) {
    t.ok(documented.has(must), must);
  }
  // Uploads take a body like any POST: documented, in both forms the server accepts.
  const upload = doc.body.paths["/api/v1/uploads"].post;
  t.ok(upload.requestBody?.required, "the upload's request body is documented");
  t.same(Object.keys(upload.requestBody.content).sort(), ["application/octet-stream", "image/jpeg", "image/png", "image/webp", "multipart/form-data"], "raw bytes and a multipart form");
  t.same(upload.requestBody.content["multipart/form-data"].schema.properties.file, { type: "string", format: "binary" });
  t.ok(doc.body.components.schemas.GenerationParams, "the generation parameter schema is published");
  t.ok(doc.body.components.schemas.Problem, "and the problem schema");
  const listProjects = doc.body.paths["/api/v1/projects"].get;
  t.same(Object.keys(listProjects.responses["200"].headers).sort(), ["RateLimit", "RateLimit-Policy", "X-Request-Id"], "rate-limit headers documented");
  t.same(listProjects.security, [{ bearerAuth: [] }, { apiKey: ["projects:read"] }]);

  const docs = await ts.client.get("/docs");
  t.equal(docs.status, 200);
  t.match(docs.headers.get("content-type"), /text\/html/);
  t.match(docs.text, /swagger-ui-bundle\.js/);
  const bundle = await fetch(`${ts.url}/docs/assets/swagger-ui-bundle.js`);
  t.equal(bundle.status, 200, "Swagger UI is served locally (works offline)");
  t.ok((await bundle.text()).length > 100_000);
  t.equal((await ts.client.get("/docs/init.js")).status, 200);
});

t.test("CORS: off by default, exact origins when configured", async (t) => {
  const db = openDatabase({ url: "postgres://nobody@127.0.0.1:1/none", embeddedDir: "" });
  const secret = () => randomBytes(32).toString("base64url");
  const config = {
    ...loadConfig({ NODE_ENV: "test", BCRYPT_COST: "4", CORS_ORIGINS: "https://app.example.com" }),
    jwtSecret: secret(),
    apiKeyPepper: secret(),
  };
  const server = createServer(createApp({ config, db, logger: createLogger("silent") }).app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.knex.destroy();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const allowed = await fetch(`${url}/livez`, { headers: { origin: "https://app.example.com" } });
  t.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example.com");
  t.match(allowed.headers.get("access-control-expose-headers"), /RateLimit/);
  t.equal(allowed.headers.get("access-control-allow-credentials"), null, "no credentials mode");
  const other = await fetch(`${url}/livez`, { headers: { origin: "https://evil.example" } });
  t.equal(other.headers.get("access-control-allow-origin"), null, "other origins are not reflected");
  const preflight = await fetch(`${url}/api/v1/projects`, {
    method: "OPTIONS",
    headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
  });
  t.equal(preflight.status, 204);
  t.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example.com");
});
