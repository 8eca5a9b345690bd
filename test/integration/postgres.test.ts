// Smoke test of the throwaway PostgreSQL helper, on both kinds of server: connect, DDL, a transaction, and the
// FOR UPDATE SKIP LOCKED claim that the job queue relies on; then the server is gone.
import pg from "pg";
import t from "tap";
import { startTestPostgres, systemPostgresMissing } from "../helpers/postgres.js";

for (const kind of ["system", "pglite"] as const) {
  // Without the system binaries the system case is skipped and counted as such (in CI it fails instead).
  t.test(`throwaway PostgreSQL (${kind})`, { skip: kind === "system" && systemPostgresMissing() }, async (t) => {
    const previous = process.env.AIPROD_TEST_PG;
    process.env.AIPROD_TEST_PG = kind;
    let server;
    try {
      server = await startTestPostgres();
    } finally {
      if (previous === undefined) delete process.env.AIPROD_TEST_PG;
      else process.env.AIPROD_TEST_PG = previous;
    }
    t.equal(server.kind, kind);
    t.match(server.version, /PostgreSQL|PGlite/i);
    const a = new pg.Client({ connectionString: server.url });
    await a.connect();
    try {
      await a.query("create table jobs (id serial primary key, state text not null default 'queued', worker text)");
      await a.query("insert into jobs (state) select 'queued' from generate_series(1, 3)");
      const { rows } = await a.query<{ n: string }>("select count(*) as n from jobs where state = 'queued'");
      t.equal(Number(rows[0]?.n), 3);
      await a.query("begin");
      const first = await a.query<{ id: number }>("select id from jobs where state = 'queued' order by id limit 1 for update skip locked");
      t.same(first.rows.map((r) => r.id), [1], "claims the oldest job");
      if (kind === "system") {
        // A second session skips the row the first one holds: the queue's claim works on a real server.
        const b = new pg.Client({ connectionString: server.url });
        await b.connect();
        const second = await b.query<{ id: number }>("select id from jobs where state = 'queued' order by id limit 1 for update skip locked");
        t.same(second.rows.map((r) => r.id), [2], "a second worker skips the locked job");
        await b.end();
      }
      await a.query("update jobs set state = 'running', worker = 'a' where id = 1");
      await a.query("commit");
      const running = await a.query("select id from jobs where state = 'running'");
      t.equal(running.rowCount, 1);
    } finally {
      await a.end();
      await server.stop();
    }
    const probe = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2000 });
    await t.rejects(probe.connect(), "the server is gone after stop()");
  });
}

t.test("without server binaries the real-server tests are skipped and counted so, in CI they fail; never PGlite instead", async (t) => {
  const saved = { bin: process.env.AIPROD_PG_BIN, ci: process.env.CI };
  t.teardown(() => {
    for (const [k, v] of [["AIPROD_PG_BIN", saved.bin], ["CI", saved.ci]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  process.env.AIPROD_PG_BIN = "/nonexistent/postgres/bin";
  delete process.env.CI;
  t.match(systemPostgresMissing(), /no PostgreSQL server binaries here/, "a skip reason outside CI");
  process.env.CI = "true";
  t.equal(systemPostgresMissing(), false, "in CI the tests run (and fail), never skip");
  const { openRealPostgres } = await import("../helpers/server.js");
  await t.rejects(openRealPostgres(), /no PostgreSQL binaries were found/, "the real-server helper does not fall back to PGlite");
});
