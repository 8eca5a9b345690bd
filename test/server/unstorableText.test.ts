// Issue 27 item 1: text PostgreSQL cannot store (U+0000, unpaired surrogates) is refused at validation with a 422
// naming the field, wherever text enters (bodies, object keys, nested params, query strings, path parameters);
// before, it reached the database and answered 500. Passwords are only hashed, so a NUL stays allowed there.
import t from "tap";
import { ADMIN_EMAIL, ADMIN_PASSWORD, openEmbedded, startTestServer } from "../helpers/server.js";
import { SMALL } from "../helpers/jobs.js";

t.test("unstorable text is a 422 naming the field, everywhere text enters", async (t) => {
  const tdb = await openEmbedded();
  const ts = await startTestServer(tdb.db, { WORKERS: "0" });
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
  });
  const c = ts.client;
  const u = await c.user();
  const admin = await c.login(ADMIN_EMAIL, ADMIN_PASSWORD);
  const NUL = "bad\u0000text";
  const LONE = "bad\uD800text";
  const project = await c.post("/api/v1/projects", { name: "film" }, { token: u.access });
  t.equal(project.status, 201);

  const cases: Array<[string, string, string, unknown, string, string?]> = [
    ["project name", "POST", "/api/v1/projects", { name: NUL }, "/name"],
    ["project description", "POST", "/api/v1/projects", { name: "ok", description: NUL }, "/description"],
    ["project update", "PATCH", `/api/v1/projects/${project.body.id}`, { description: NUL }, "/description"],
    ["preset params prompt", "POST", "/api/v1/presets", { name: "p", params: { pipeline: "distilled", prompt: NUL } }, "/params/prompt"],
    ["preset params (lone surrogate, jsonb)", "POST", "/api/v1/presets", { name: "p", params: { pipeline: "distilled", prompt: LONE } }, "/params/prompt"],
    ["job prompt", "POST", "/api/v1/videos/generate", { ...SMALL, prompt: NUL }, "/prompt"],
    ["job negative prompt", "POST", "/api/v1/videos/generate", { ...SMALL, negative_prompt: LONE }, "/negative_prompt"],
    ["API key name", "POST", "/api/v1/api-keys", { name: NUL, scopes: ["projects:read"] }, "/name"],
    ["a field name", "POST", "/api/v1/projects", { name: "ok", ["x\u0000"]: 1 }, "/x\u0000"],
    ["sign-up display name", "POST", "/api/v1/auth/register", { email: "nul-name@example.com", password: "correct horse battery", display_name: NUL }, "/display_name", "anonymous"],
  ];
  for (const [what, method, path, body, pointer, anonymous] of cases) {
    const r = await c.req(method, path, { token: anonymous ? undefined : u.access, body });
    t.equal(r.status, 422, `${what}: 422 (${r.text.slice(0, 120)})`);
    t.equal(r.headers.get("content-type"), "application/problem+json; charset=utf-8", `${what}: problem+json`);
    t.equal(r.body.code, "validation_failed");
    t.match(r.body.errors?.[0], { pointer, in: "body", message: /NUL|Unicode/ }, `${what}: names the field`);
  }
  t.equal((await c.get("/api/v1/users/me", { token: u.access })).status, 404, "(unknown routes stay 404)");

  // Query strings and path parameters reach SQL as bound parameters: the same refusal.
  const q = await c.get(`/api/v1/admin/users?email=${encodeURIComponent(NUL)}`, { token: admin.access });
  t.equal(q.status, 422, q.text);
  t.match(q.body.errors?.[0], { pointer: "/email", in: "query" });
  const p = await c.get(`/api/v1/projects/${encodeURIComponent(NUL)}`, { token: u.access });
  t.equal(p.status, 422);
  t.match(p.body.errors?.[0], { pointer: "/id", in: "path" });

  // Nothing answered 500, and the refused writes were audited (their bodies made storable).
  await ts.server.handle.flush();
  t.notOk(ts.logs.lines.some((l) => l.includes('"status":500')), "no 500");
  t.notOk(ts.logs.lines.some((l) => l.includes("audit record failed")), "every refused write was audited");
  const audited = await tdb.db.knex("audit_logs").where({ action: "projects.create", status: 422 }).first();
  t.equal(audited.details.body.name, "bad\uFFFDtext", "the audited body has the NUL replaced");

  // Passwords are hashed, never stored as text: a NUL in them still works (api.test.ts checks the login too).
  const reg = await c.post("/api/v1/auth/register", { email: "nul-password@example.com", password: "pass\u0000word-123" }, { ip: "198.51.100.7" });
  t.equal(reg.status, 201, reg.text);
});
