// Issue 27 items 4, 7 and 9: the rate limit counts per user (API keys are a sub-limit), logout revokes the
// session's access tokens at once (on every instance), and responses carrying tokens or personal data are never
// stored by caches.
import t from "tap";
import { openEmbedded, startTestServer } from "../helpers/server.js";

t.test("sessions, limits and caching", async (t) => {
  const tdb = await openEmbedded();
  const ts = await startTestServer(tdb.db, { WORKERS: "0", RATE_LIMIT_PER_MINUTE: "6", RATE_LIMIT_PER_KEY_PER_MINUTE: "4" });
  // A second instance on the same database: revocations are shared.
  const other = await startTestServer(tdb.db, { WORKERS: "0", JWT_SECRET: ts.server.config.jwtSecret, API_KEY_PEPPER: ts.server.config.apiKeyPepper });
  t.teardown(async () => {
    await other.close();
    await ts.close();
    await tdb.stop();
  });
  const c = ts.client;

  t.test("item 9: token and key responses say Cache-Control: no-store", async (t) => {
    const u = await other.client.user();
    const login = await other.client.post("/api/v1/auth/login", { email: u.email, password: u.password }, { ip: "203.0.113.9" });
    const refresh = await other.client.post("/api/v1/auth/refresh", { refresh_token: login.body.refresh_token });
    const key = await other.client.post("/api/v1/api-keys", { name: "ci-key", scopes: ["projects:read"] }, { token: u.access });
    const me = await other.client.get("/api/v1/me", { token: u.access });
    const failed = await other.client.post("/api/v1/auth/login", { email: u.email, password: "wrong password" }, { ip: "203.0.113.10" });
    for (const [what, r, status] of [["login", login, 200], ["refresh", refresh, 200], ["new API key", key, 201], ["me", me, 200], ["failed login", failed, 401]] as const) {
      t.equal(r.status, status, what);
      t.equal(r.headers.get("cache-control"), "no-store", `${what}: no-store`);
      t.equal(r.headers.get("pragma"), "no-cache", `${what}: Pragma (HTTP/1.0 caches)`);
    }
    t.match((await other.client.get("/docs/assets/swagger-ui.css")).headers.get("cache-control"), /max-age/, "static docs assets stay cacheable");
  });

  t.test("item 7: logout revokes the session's access tokens, on every instance", async (t) => {
    const u = await other.client.user();
    const second = await other.client.login(u.email, u.password); // another session of the same user
    t.equal((await c.get("/api/v1/me", { token: u.access })).status, 200, "works before logout");
    t.equal((await other.client.post("/api/v1/auth/logout", { refresh_token: u.refresh })).status, 204);
    for (const [where, client] of [["the instance that logged out", other.client], ["another instance", c]] as const) {
      const r = await client.get("/api/v1/me", { token: u.access });
      t.equal(r.status, 401, `the access token is refused at once on ${where}`);
      t.equal(r.body.code, "unauthenticated");
      t.match(r.body.detail, /logged out/);
    }
    t.equal((await c.get("/api/v1/me", { token: second.access })).status, 200, "the user's other session still works");
    // A reused refresh token ends its session too (the thief's access token stops working).
    const rotated = await c.post("/api/v1/auth/refresh", { refresh_token: second.refresh });
    t.equal(rotated.status, 200);
    t.equal((await c.post("/api/v1/auth/refresh", { refresh_token: second.refresh })).status, 401, "reuse detected");
    t.equal((await c.get("/api/v1/me", { token: rotated.body.access_token })).status, 401, "the family's access token is revoked");
    const rows = await tdb.db.knex("revoked_sessions").select("expires_at");
    t.ok(rows.length >= 2 && rows.every((r: { expires_at: Date }) => r.expires_at.getTime() <= Date.now() + 16 * 60_000), "kept only until the tokens would expire");
  });

  t.test("item 4: one user's API keys share the user's limit; each key has its own sub-limit", async (t) => {
    const u = await c.user();
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) keys.push((await c.post("/api/v1/api-keys", { name: `key-${i}`, scopes: ["projects:read"] }, { token: u.access })).body.key);
    // 6 a minute per user; creating the two keys used 2. Two more calls with each key use the rest (each key stays
    // under its own 4); the 5th call is refused, whatever the key (before: counted per key, all answered 200).
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await c.get("/api/v1/projects", { headers: { "x-api-key": keys[i % 2] as string } })).status);
    t.same(statuses, [200, 200, 200, 200, 429], "the user's limit holds across keys");
    const r = await c.get("/api/v1/projects", { token: u.access });
    t.equal(r.status, 429, "the user's session shares it");
    t.same(r.body["violated-policies"], ["default"]);
    t.match(r.headers.get("ratelimit-policy"), /"default";q=6;w=60/);

    const v = await c.user();
    const k = (await c.post("/api/v1/api-keys", { name: "one-key", scopes: ["projects:read"] }, { token: v.access })).body.key;
    const byKey: Array<{ status: number; body: { "violated-policies"?: string[] }; headers: Headers }> = [];
    for (let i = 0; i < 5; i++) byKey.push(await c.get("/api/v1/projects", { headers: { "x-api-key": k } }));
    t.same(byKey.map((r) => r.status), [200, 200, 200, 200, 429], "4 a minute per key (the user has 6)");
    const last = byKey[4] as (typeof byKey)[number];
    t.same(last.body["violated-policies"], ["api-key"]);
    t.match(last.headers.get("ratelimit-policy"), /"default";q=6;w=60, "api-key";q=4;w=60/);
  });
});
