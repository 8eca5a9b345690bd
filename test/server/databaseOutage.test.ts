// Issue 27 items 14 and 17: while the database is down, requests answer 503 database_unavailable with Retry-After
// (before: 500 internal_error, logged as unhandled), /readyz says so without naming internal addresses, /livez
// keeps answering, and everything logged is JSON. When the database is back, so is the service.
import t from "tap";
import { openDatabase } from "../../server/db/knex.js";
import { isDatabaseUnavailable } from "../../server/db/unavailable.js";
import { createLogger } from "../../server/logger.js";
import { LogCapture, openPostgres, startTestServer } from "../helpers/server.js";
import { SMALL } from "../helpers/jobs.js";

t.test("a database outage is a 503 with Retry-After, not a 500", async (t) => {
  const tdb = await openPostgres();
  if (!tdb.server?.pause || !tdb.server.resume) {
    await tdb.stop();
    t.pass("skipped: needs PostgreSQL system binaries (pause/resume)");
    return;
  }
  const pg = tdb.server;
  const ts = await startTestServer(tdb.db, { WORKERS: "0" });
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
  });
  const c = ts.client;
  const u = await c.user();
  t.equal((await c.post("/api/v1/videos/generate", SMALL, { token: u.access })).status, 202, "submits work while the database is up");

  pg.pause!();
  try {
    for (const [method, path, body] of [
      ["POST", "/api/v1/videos/generate", SMALL],
      ["GET", "/api/v1/videos", undefined],
      ["POST", "/api/v1/projects", { name: "during the outage" }],
    ] as const) {
      const r = await c.req(method, path, { token: u.access, body });
      t.equal(r.status, 503, `${method} ${path}: 503 (${r.text.slice(0, 160)})`);
      t.equal(r.body.code, "database_unavailable");
      t.equal(r.headers.get("retry-after"), "5", "Retry-After");
      t.equal(r.headers.get("content-type"), "application/problem+json; charset=utf-8");
    }
    const ready = await c.get("/readyz");
    t.equal(ready.status, 503, "/readyz says the database is down");
    t.match(ready.body.checks, [{ name: "database", ok: false, detail: "unreachable" }]);
    t.ok(ready.headers.get("retry-after"), "with Retry-After");
    t.notMatch(ready.text, /127\.0\.0\.1|ECONNREFUSED/, "no internal address in the public probe");
    t.equal((await c.get("/livez")).status, 200, "/livez answers");
  } finally {
    pg.resume!();
  }
  // Back: the pool reconnects.
  let back = 0;
  for (let i = 0; i < 50 && back !== 201; i++) {
    back = (await c.post("/api/v1/projects", { name: "after the outage" }, { token: u.access })).status;
    if (back !== 201) await new Promise((r) => setTimeout(r, 200));
  }
  t.equal(back, 201, "requests succeed again once the database is back");
  await ts.server.handle.flush();
  t.notOk(ts.logs.lines.some((l) => l.includes("unhandled error")), "nothing was logged as unhandled");
  t.ok(ts.logs.lines.some((l) => l.includes('"msg":"database unavailable"')), "the outage is logged as such");
  t.ok(ts.logs.lines.every((l) => l.startsWith("{")), "every log line is JSON");
});

t.test("knex's own messages go through the logger as JSON", async (t) => {
  const logs = new LogCapture();
  // Nothing listens on port 9: every connection attempt is refused, which knex reports through its logger.
  const db = openDatabase({ url: "postgres://nobody@127.0.0.1:9/none", embeddedDir: "", logger: createLogger("debug", logs) });
  const err = await db.knex.raw("select 1").then(() => undefined, (e: unknown) => e);
  await db.knex.destroy();
  t.ok(isDatabaseUnavailable(err), "a refused connection is classified as unavailable");
  (db.knex.client as { logger: { warn(m: string): void } }).logger.warn("Connection Error: Error: Connection terminated unexpectedly");
  t.ok(logs.lines.length > 0, "knex's warning reached the logger");
  t.ok(logs.lines.every((l) => JSON.parse(l).component === "knex"), "as JSON lines");
});
