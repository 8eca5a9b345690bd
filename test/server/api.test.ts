// The API end to end on both databases: auth flows, API keys, projects with cursor pages, presets, admin,
// audit trail, GDPR export and erasure, rate-limit headers shared across two instances, probes, metrics, errors.
import t from "tap";
import { ADMIN_EMAIL, ADMIN_PASSWORD, DATABASES, type TestServer, freshIp, startTestServer } from "../helpers/server.js";

for (const { name, open } of DATABASES) {
  t.test(`API on ${name}`, async (t) => {
    const tdb = await open();
    t.comment(tdb.note);
    const ts: TestServer = await startTestServer(tdb.db, { METRICS_PORT: "0" });
    t.teardown(async () => {
      await ts.close();
      await tdb.stop();
    });
    const c = ts.client;
    const knex = tdb.db.knex;

    t.test("register, login, refresh, logout", async (t) => {
      const ip = freshIp();
      const reg = await c.post("/api/v1/auth/register", { email: "Ada@Example.com", password: "correct horse battery", display_name: "Ada" }, { ip });
      t.equal(reg.status, 201);
      t.match(reg.body, { email: "ada@example.com", role: "user", display_name: "Ada", disabled: false });
      t.equal((await c.post("/api/v1/auth/register", { email: "ada@example.com", password: "another password" }, { ip })).status, 409, "email taken");
      const row = await knex("users").where({ email: "ada@example.com" }).first();
      t.match(row.password_hash, /^\$2[aby]\$04\$/, "bcrypt hash with the configured cost");
      const login = await c.post("/api/v1/auth/login", { email: "ADA@example.com", password: "correct horse battery" }, { ip });
      t.equal(login.status, 200);
      t.match(login.body, { token_type: "Bearer", expires_in: 900, refresh_expires_in: 7 * 24 * 3600 });
      const [header] = (login.body.access_token as string).split(".");
      t.same(JSON.parse(Buffer.from(header as string, "base64url").toString()), { alg: "HS256", typ: "at+jwt" });
      const bad = await c.post("/api/v1/auth/login", { email: "ada@example.com", password: "wrong password" }, { ip });
      t.equal(bad.status, 401);
      const unknown = await c.post("/api/v1/auth/login", { email: "nobody@example.com", password: "wrong password" }, { ip });
      t.same([unknown.status, unknown.body.detail], [401, bad.body.detail], "unknown accounts look like wrong passwords");
      const me = await c.get("/api/v1/me", { token: login.body.access_token });
      t.equal(me.body.email, "ada@example.com");
      const refreshed = await c.post("/api/v1/auth/refresh", { refresh_token: login.body.refresh_token });
      t.equal(refreshed.status, 200);
      t.equal((await c.get("/api/v1/me", { token: refreshed.body.access_token })).status, 200);
      t.equal((await c.post("/api/v1/auth/logout", { refresh_token: refreshed.body.refresh_token })).status, 204);
      t.equal((await c.post("/api/v1/auth/refresh", { refresh_token: refreshed.body.refresh_token })).status, 401, "logged out");
      t.equal((await c.post("/api/v1/auth/logout", { refresh_token: "rt_unknown" })).status, 204, "logout is idempotent");
      const closed = await startTestServer(tdb.db, { REGISTRATION_OPEN: "false" });
      try {
        const r = await closed.client.post("/api/v1/auth/register", { email: "late@example.com", password: "long enough pw" }, { ip: freshIp() });
        t.same([r.status, r.body.code], [403, "registration_closed"], "REGISTRATION_OPEN=false");
      } finally {
        await closed.close();
      }
      const audit = await knex("audit_logs").where({ user_id: row.id }).orderBy("created_at").pluck("action");
      for (const action of ["auth.register", "auth.login", "auth.refresh", "auth.logout"]) t.ok(audit.includes(action), `${action} audited`);
      const loginAudit = await knex("audit_logs").where({ user_id: row.id, action: "auth.login", status: 200 }).first();
      t.equal(loginAudit.details.body.password, "[REDACTED]", "the password in the audited body is redacted");
      t.equal(loginAudit.ip, ip);
    });

    t.test("passwords: bcrypt cost upgraded at login; unicode and NUL round-trip; 72-byte limit", async (t) => {
      const pw = "pässwörd\u0000😀 with a NUL";
      const u = await c.user("user", pw);
      t.match((await knex("users").where({ id: u.id }).first()).password_hash, /^\$2[aby]\$04\$/);
      const stronger = await startTestServer(tdb.db, { BCRYPT_COST: "5", JWT_SECRET: ts.server.config.jwtSecret, API_KEY_PEPPER: ts.server.config.apiKeyPepper });
      try {
        await stronger.client.login(u.email, pw, freshIp());
        t.match((await knex("users").where({ id: u.id }).first()).password_hash, /^\$2[aby]\$05\$/, "re-hashed with the higher cost");
      } finally {
        await stronger.close();
      }
      t.equal((await c.post("/api/v1/auth/login", { email: u.email, password: pw.replace("\u0000", "") }, { ip: freshIp() })).status, 401, "the NUL is part of the password");
      const exactly72 = "a".repeat(70) + "é"; // 72 bytes
      t.equal((await c.post("/api/v1/auth/register", { email: "b72@example.com", password: exactly72 }, { ip: freshIp() })).status, 201);
      const emoji = "😀".repeat(24); // 24 characters, 96 bytes
      const r = await c.post("/api/v1/auth/register", { email: "emoji@example.com", password: emoji }, { ip: freshIp() });
      t.equal(r.status, 422);
      t.match(r.body.errors[0], { pointer: "/password", message: /72 bytes/ });
    });

    t.test("API keys: shown once, hashed, scoped, revocable, expiring", async (t) => {
      const u = await c.user();
      const created = await c.post("/api/v1/api-keys", { name: "ci", scopes: ["projects:read", "projects:write"] }, { token: u.access });
      t.equal(created.status, 201);
      const key = created.body.key as string;
      t.match(key, /^aip_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      t.equal(created.body.prefix, key.slice(4, 16));
      const stored = await knex("api_keys").where({ id: created.body.id }).first();
      t.not(stored.secret_hash, key.slice(17));
      t.notOk(JSON.stringify(stored).includes(key.slice(17)), "the database holds no plaintext secret");
      const viaKey = await c.post("/api/v1/projects", { name: "from CI" }, { token: key });
      t.equal(viaKey.status, 201, "Bearer API key");
      t.equal((await c.get("/api/v1/projects", { headers: { "x-api-key": key } })).status, 200, "X-API-Key header");
      const list = await c.get("/api/v1/api-keys", { token: u.access });
      t.equal(list.body.data.length, 1);
      t.notOk("key" in list.body.data[0]);
      const audit = await knex("audit_logs").where({ action: "projects.create", api_key_id: created.body.id }).first();
      t.ok(audit, "calls with a key are audited with the key id");
      t.equal((await c.del(`/api/v1/api-keys/${created.body.id}`, { token: u.access })).status, 200);
      const revoked = await c.get("/api/v1/projects", { token: key });
      t.equal(revoked.status, 401, "a revoked key stops working at once");
      const tampered = key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
      t.equal((await c.get("/api/v1/projects", { token: tampered })).status, 401, "a wrong secret with a real prefix");
      const exp = await c.post("/api/v1/api-keys", { name: "short", scopes: ["projects:read"], expires_at: new Date(Date.now() + 60_000).toISOString() }, { token: u.access });
      t.equal((await c.get("/api/v1/projects", { token: exp.body.key })).status, 200);
      await knex("api_keys").where({ id: exp.body.id }).update({ expires_at: new Date(Date.now() - 1000) });
      t.equal((await c.get("/api/v1/projects", { token: exp.body.key })).status, 401, "an expired key");
      const past = await c.post("/api/v1/api-keys", { name: "past", scopes: ["projects:read"], expires_at: new Date(Date.now() - 1000).toISOString() }, { token: u.access });
      t.equal(past.status, 422, "expiry in the past");
    });

    t.test("projects: CRUD and cursor pages", async (t) => {
      const u = await c.user();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await c.post("/api/v1/projects", { name: `p${i}` }, { token: u.access })).body.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
        const page = await c.get(`/api/v1/projects${q}`, { token: u.access });
        t.equal(page.status, 200);
        seen.push(...page.body.data.map((p: { name: string }) => p.name));
        cursor = page.body.next_cursor;
        t.equal(page.body.has_more, cursor !== null);
        pages++;
      } while (cursor && pages < 10);
      t.same(seen, ["p4", "p3", "p2", "p1", "p0"], "newest first, each exactly once over 3 pages");
      t.equal(pages, 3);
      const forged = await c.get("/api/v1/projects?cursor=eyJmb28iOjF9.AAAAAAAAAAAAAAAAAAAAAA", { token: u.access });
      t.equal(forged.status, 422, "a forged cursor");
      const upd = await c.patch(`/api/v1/projects/${ids[0]}`, { description: "first" }, { token: u.access });
      t.match(upd.body, { name: "p0", description: "first" });
      t.equal((await c.patch(`/api/v1/projects/${ids[0]}`, {}, { token: u.access })).status, 422, "empty patch");
      t.equal((await c.del(`/api/v1/projects/${ids[0]}`, { token: u.access })).status, 204);
      t.equal((await c.get(`/api/v1/projects/${ids[0]}`, { token: u.access })).status, 404);
      t.equal((await c.get("/api/v1/projects/not-a-uuid", { token: u.access })).status, 422);
    });

    t.test("presets: params validated by the pipeline schema; own + public", async (t) => {
      const a = await c.user();
      const b = await c.user();
      const pub = await c.post("/api/v1/presets", { name: "shared", is_public: true, params: { pipeline: "ti2vid_two_stages", width: 1536, height: 1024, num_frames: 121, video_guidance: { cfg: 3, stg: 1, rescale: 0.7, modality: 3, stg_blocks: [29] } } }, { token: a.access });
      t.equal(pub.status, 201, pub.text);
      const priv = await c.post("/api/v1/presets", { name: "mine", params: { pipeline: "ti2vid_one_stage", width: 736, height: 480 } }, { token: a.access });
      t.equal(priv.status, 201, priv.text);
      const bad = await c.post("/api/v1/presets", { name: "bad", params: { pipeline: "distilled", width: 736, height: 480, num_frames: 120 } }, { token: a.access });
      t.equal(bad.status, 422);
      t.same(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort(), ["/params/height", "/params/num_frames", "/params/width"]);
      const bList = await c.get("/api/v1/presets", { token: b.access });
      t.same(bList.body.data.map((p: { name: string }) => p.name), ["shared"], "another user sees only the public one");
      t.equal(bList.body.data[0].owned, false);
      t.equal((await c.get(`/api/v1/presets/${pub.body.id}`, { token: b.access })).status, 200);
      t.equal((await c.del(`/api/v1/presets/${pub.body.id}`, { token: b.access })).status, 403, "only the owner deletes a public preset");
      const own = await c.get("/api/v1/presets?scope=own", { token: a.access });
      t.equal(own.body.data.length, 2);
      t.equal((await c.del(`/api/v1/presets/${priv.body.id}`, { token: a.access })).status, 204);
    });

    t.test("admin: users, roles, disable, delete, audit log", async (t) => {
      const admin = await c.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const u = await c.user();
      const list = await c.get(`/api/v1/admin/users?email=${encodeURIComponent(u.email)}`, { token: admin.access });
      t.same(list.body.data.map((x: { id: string }) => x.id), [u.id]);
      const admins = await c.get("/api/v1/admin/users?role=admin", { token: admin.access });
      t.ok(admins.body.data.some((x: { email: string }) => x.email === ADMIN_EMAIL));
      const promoted = await c.patch(`/api/v1/admin/users/${u.id}`, { role: "viewer" }, { token: admin.access });
      t.equal(promoted.body.role, "viewer");
      t.equal((await c.post("/api/v1/projects", { name: "x" }, { token: u.access })).status, 403, "the role applies to existing tokens at once");
      const adminRow = await knex("users").where({ email: ADMIN_EMAIL }).first();
      t.equal((await c.patch(`/api/v1/admin/users/${adminRow.id}`, { role: "user" }, { token: admin.access })).status, 409, "no self-demotion");
      t.equal((await c.patch(`/api/v1/admin/users/${u.id}`, { disabled: true }, { token: admin.access })).body.disabled, true);
      t.equal((await c.get("/api/v1/me", { token: u.access })).status, 401, "a disabled user's token is refused");
      t.equal((await c.post("/api/v1/auth/refresh", { refresh_token: u.refresh })).status, 401, "and their sessions are revoked");
      t.equal((await c.post("/api/v1/auth/login", { email: u.email, password: u.password }, { ip: freshIp() })).status, 401);
      await c.patch(`/api/v1/admin/users/${u.id}`, { disabled: false }, { token: admin.access });
      t.equal((await c.post("/api/v1/auth/login", { email: u.email, password: u.password }, { ip: freshIp() })).status, 200, "enabled again");
      t.equal((await c.del(`/api/v1/admin/users/${u.id}`, { token: admin.access })).status, 204);
      t.equal((await c.del(`/api/v1/admin/users/${u.id}`, { token: admin.access })).status, 404);
      const logs = await c.get(`/api/v1/admin/system/logs?action=admin.users.update&limit=2`, { token: admin.access });
      t.equal(logs.status, 200);
      t.equal(logs.body.data.length, 2);
      t.ok(logs.body.has_more);
      t.ok(logs.body.data.every((e: { action: string; resource_id: string }) => e.action === "admin.users.update" && e.resource_id === u.id));
      const next = await c.get(`/api/v1/admin/system/logs?action=admin.users.update&limit=2&cursor=${encodeURIComponent(logs.body.next_cursor)}`, { token: admin.access });
      t.ok(next.body.data.length >= 1);
      t.notOk(next.body.data.some((e: { id: string }) => logs.body.data.some((f: { id: string }) => f.id === e.id)), "pages do not overlap");
      const since = await c.get(`/api/v1/admin/system/logs?since=${new Date(Date.now() + 60_000).toISOString()}`, { token: admin.access });
      t.same(since.body.data, [], "time filter");
    });

    t.test("audit rows carry user, action, resource, IP, time and request id", async (t) => {
      const u = await c.user();
      const ip = freshIp();
      const r = await c.post("/api/v1/projects", { name: "audited" }, { token: u.access, ip, headers: { "x-request-id": "req-abc-123" } });
      t.equal(r.headers.get("x-request-id"), "req-abc-123", "a sane incoming request id is kept");
      const row = await knex("audit_logs").where({ request_id: "req-abc-123" }).first();
      t.match(row, { user_id: u.id, action: "projects.create", resource_type: "project", resource_id: r.body.id, ip, method: "POST", status: 201 });
      t.ok(row.created_at instanceof Date);
      const denied = await c.del(`/api/v1/projects/${r.body.id}`, { token: (await c.user("viewer")).access });
      t.equal(denied.status, 403);
      t.ok(await knex("audit_logs").where({ request_id: denied.headers.get("x-request-id"), status: 403 }).first(), "refused writes are audited too");
      const weird = await c.get("/livez", { headers: { "x-request-id": "bad id with spaces" } });
      t.match(weird.headers.get("x-request-id"), /^[0-9a-f-]{36}$/, "an unsafe request id is replaced");
    });

    t.test("GDPR: export everything, then erase", async (t) => {
      const u = await c.user();
      const p = await c.post("/api/v1/projects", { name: "personal" }, { token: u.access });
      await c.post("/api/v1/api-keys", { name: "k", scopes: ["projects:read"] }, { token: u.access });
      await ts.server.handle.flush();
      const exp = await c.get("/api/v1/me/export", { token: u.access });
      t.equal(exp.status, 200);
      t.match(exp.headers.get("content-disposition"), /attachment/);
      t.equal(exp.body.user.id, u.id);
      t.same(exp.body.projects.map((x: { id: string }) => x.id), [p.body.id]);
      t.equal(exp.body.api_keys.length, 1);
      t.ok(exp.body.sessions.length >= 1);
      t.ok(exp.body.audit_log.some((a: { action: string }) => a.action === "projects.create"));
      t.ok(exp.body.api_usage.length > 0);
      t.notMatch(exp.text, /password_hash|secret_hash|token_hash/, "no credential hashes");
      t.equal((await c.req("DELETE", "/api/v1/me", { token: u.access, body: { password: "not it" } })).status, 401);
      const del = await c.req("DELETE", "/api/v1/me", { token: u.access, body: { password: u.password } });
      t.equal(del.status, 204);
      t.equal((await knex("users").where({ id: u.id })).length, 0);
      t.equal((await knex("projects").where({ user_id: u.id })).length, 0, "their data is gone");
      t.equal((await knex("audit_logs").where({ user_id: u.id })).length, 0, "audit rows no longer point at them");
      t.ok(await knex("audit_logs").where({ action: "me.delete", resource_id: u.id, status: 204 }).first(), "the erasure itself is audited");
      t.equal((await c.get("/api/v1/me", { token: u.access })).status, 401);
      const admin = await c.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const last = await c.req("DELETE", "/api/v1/me", { token: admin.access, body: { password: ADMIN_PASSWORD } });
      t.equal(last.status, 409, "the last administrator cannot erase their account");
    });

    t.test("rate limits: RateLimit headers, shared across two instances, 429 with Retry-After", async (t) => {
      const u = await c.user();
      const first = await c.get("/api/v1/projects", { token: u.access });
      t.equal(first.headers.get("ratelimit-policy"), '"default";q=1000;w=60');
      const r1 = Number(/r=(\d+)/.exec(first.headers.get("ratelimit") ?? "")?.[1]);
      const second = await c.get("/api/v1/projects", { token: u.access });
      const r2 = Number(/r=(\d+)/.exec(second.headers.get("ratelimit") ?? "")?.[1]);
      t.equal(r2, r1 - 1, "remaining decreases");
      t.match(second.headers.get("ratelimit"), /^"default";r=\d+;t=\d+$/);
      t.equal((await c.get("/livez")).headers.get("ratelimit"), null, "probes are not limited");

      // Two more instances on the same database, with a quota of 5: the counter is shared.
      const a = await startTestServer(tdb.db, { RATE_LIMIT_PER_MINUTE: "5", JWT_SECRET: ts.server.config.jwtSecret, API_KEY_PEPPER: ts.server.config.apiKeyPepper });
      const b = await startTestServer(tdb.db, { RATE_LIMIT_PER_MINUTE: "5", JWT_SECRET: ts.server.config.jwtSecret, API_KEY_PEPPER: ts.server.config.apiKeyPepper });
      try {
        const v = await c.user();
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) statuses.push((await (i % 2 ? b : a).client.get("/api/v1/projects", { token: v.access })).status);
        t.same(statuses, [200, 200, 200, 200, 200, 429], "the 6th request over both instances is refused");
        const limited = await a.client.get("/api/v1/projects", { token: v.access });
        t.equal(limited.status, 429);
        t.ok(Number(limited.headers.get("retry-after")) >= 1);
        t.match(limited.headers.get("ratelimit"), /^"default";r=0;t=\d+$/);
        t.same(limited.body["violated-policies"], ["default"]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    t.test("graceful shutdown: the request in flight finishes, new connections are refused", async (t) => {
      const extra = await startTestServer(tdb.db, { JWT_SECRET: ts.server.config.jwtSecret, API_KEY_PEPPER: ts.server.config.apiKeyPepper });
      const u = await c.user();
      // Hold the projects table so that the next request waits inside the server.
      const trx = await knex.transaction();
      await trx.raw("lock table projects in access exclusive mode");
      const inflight = extra.client.get("/api/v1/projects", { token: u.access });
      // Wait until the server is processing it (not just connected), however slow the machine.
      const gauge = extra.server.handle.runtime.metrics.inFlight;
      for (let i = 0; i < 600 && (await gauge.get()).values[0]?.value !== 1; i++) await new Promise((r) => setTimeout(r, 50));
      t.equal((await gauge.get()).values[0]?.value, 1, "one request in flight");
      const closing = extra.close();
      await new Promise((r) => setTimeout(r, 100));
      t.equal(extra.server.handle.runtime.draining, true, "draining (readyz would answer 503)");
      await t.rejects(fetch(`${extra.url}/livez`), "no new connections");
      await trx.commit();
      const r = await inflight;
      t.equal(r.status, 200, "the request in flight completed");
      await closing;
    });

    t.test("probes, metrics and problem responses", async (t) => {
      t.same((await c.get("/livez")).body, { status: "ok" });
      const ready = await c.get("/readyz");
      t.equal(ready.status, 200);
      t.same(ready.body.checks.map((x: { name: string; ok: boolean }) => [x.name, x.ok]), [["database", true], ["migrations", true], ["accepting", true]]);
      const health = await c.get("/health");
      t.match(health.body, { status: "ok", database: tdb.name === "embedded" ? "embedded" : "postgres" });
      const admin = await c.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      await c.get("/api/v1/projects", { token: admin.access });
      const metrics = await c.get("/metrics", { token: admin.access });
      t.equal(metrics.status, 200);
      t.match(metrics.text, /http_requests_total\{method="GET",route="\/api\/v1\/projects",status="200"\} \d+/);
      t.match(metrics.text, /http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/api\/v1\/projects",status_class="2xx"\}/);
      t.match(metrics.text, /process_cpu_seconds_total/);
      t.match(metrics.text, /aiprod_auth_failures_total/);
      t.notMatch(metrics.text, /route="\/api\/v1\/projects\/[0-9a-f-]{36}"/, "route templates, not ids");
      t.ok(ts.server.metricsUrl, "METRICS_PORT starts a separate listener");
      const sep = await fetch(ts.server.metricsUrl as string);
      t.equal(sep.status, 200);
      t.match(await sep.text(), /http_requests_total/);

      const nf = await c.get("/nope");
      t.equal(nf.status, 404);
      t.match(nf.headers.get("content-type"), /application\/problem\+json/);
      t.match(nf.body, { status: 404, code: "not_found", type: "https://aiprod.dev/problems/not_found", instance: "/nope" });
      t.equal(nf.body.request_id, nf.headers.get("x-request-id"));
      const malformed = await c.req("POST", "/api/v1/auth/login", { rawBody: "{not json" });
      t.equal(malformed.status, 400);
      t.equal(malformed.body.code, "malformed_json");
      for (const [path, status, code] of [["/api/v1/projects/%E0%A4%A", 400, "bad_request"], ["/docs/assets/%E0%A4%A", 404, "not_found"]] as const) {
        const broken = await c.get(path, { token: admin.access });
        t.equal(broken.status, status, `${path}: broken percent-encoding`);
        t.equal(broken.body.code, code);
        t.match(broken.headers.get("content-type"), /application\/problem\+json/);
      }
      const invalid = await c.post("/api/v1/auth/register", { email: "not-an-email", password: "short" }, { ip: freshIp() });
      t.equal(invalid.status, 422);
      t.same(invalid.body.errors.map((e: { pointer: string }) => e.pointer).sort(), ["/email", "/password"]);

      ts.server.handle.runtime.draining = true;
      try {
        const draining = await c.get("/readyz");
        t.equal(draining.status, 503, "readyz fails while draining");
        t.equal(draining.body.status, "unavailable");
      } finally {
        ts.server.handle.runtime.draining = false;
      }
      const sum = await knex("error_logs").count({ n: "*" }).first();
      t.equal(Number(sum?.n), 0, "no unexpected errors were logged in this suite");
    });
  });
}
