// Issue 27 item 13: requests that wait for their job (Prefer: wait) are bounded per user and in total, and share
// one database poll, so a crowd of them cannot hold up other users or the health checks. Before: each waiting
// request polled the database 4 times a second; 200 of them held other requests and /livez for up to 60 s.
import t from "tap";
import { openEmbedded } from "../helpers/server.js";
import { SMALL, startJobServer } from "../helpers/jobs.js";

t.test("waiting requests are bounded and do not hold up others", async (t) => {
  const tdb = await openEmbedded();
  // No workers: the jobs never finish, so every waiting request waits its whole time.
  const ts = await startJobServer(tdb.db, { WORKERS: "0", WAIT_MAX_PER_USER: "5", WAIT_MAX_TOTAL: "8" });
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
  });
  const c = ts.client;
  const [a, b] = [await c.user(), await c.user()];
  const key = "load-test-key-0001";
  t.equal((await c.post("/api/v1/videos/generate", SMALL, { token: a.access, headers: { "idempotency-key": key } })).status, 202);

  const timed = async <T>(f: () => Promise<T>) => {
    const t0 = Date.now();
    const r = await f();
    return { r, ms: Date.now() - t0 };
  };
  // A crowd of 60 waits of 8 s with one Idempotency-Key from user A (its 5 waiting requests hold their places
  // while user B comes), then 6 of user B's own.
  const crowd = Array.from({ length: 60 }, () => timed(() => c.post("/api/v1/videos/generate", SMALL, { token: a.access, headers: { "idempotency-key": key, prefer: "wait=8" } })));
  const jobB = (await c.post("/api/v1/videos/generate", { ...SMALL, seed: 5 }, { token: b.access })).body.id as string;
  await new Promise((r) => setTimeout(r, 1000)); // the crowd has reached its waits (or been answered)
  const bWaits = Array.from({ length: 6 }, (_, i) => timed(() => c.post("/api/v1/videos/generate", { ...SMALL, seed: 5 }, { token: b.access, headers: { "idempotency-key": `b-key-${i}-000000`, prefer: "wait=3" } })));
  await new Promise((r) => setTimeout(r, 300));
  // Meanwhile: the probes and another user's requests answer quickly.
  const live = await timed(() => c.get("/livez"));
  const other = await timed(() => c.get(`/api/v1/videos/${jobB}`, { token: b.access }));
  t.equal(live.r.status, 200);
  t.ok(live.ms < 1000, `/livez answered in ${live.ms} ms`);
  t.equal(other.r.status, 200);
  t.ok(other.ms < 2000, `another user's request answered in ${other.ms} ms`);

  const results = await Promise.all(crowd);
  const waitedA = results.filter((x) => x.r.headers.get("preference-applied") === "wait=8");
  t.equal(waitedA.length, 5, "5 of user A's requests waited (WAIT_MAX_PER_USER)");
  t.ok(waitedA.every((x) => x.ms >= 7900), "those waited their 8 s");
  const immediate = results.filter((x) => !x.r.headers.get("preference-applied"));
  t.equal(immediate.length, 55, "the others were answered at once");
  // "At once": well before the 8 s they asked for (60 requests on one embedded-database connection take a while).
  t.ok(immediate.every((x) => x.r.status === 202 && x.ms < 7000), `with the job, 202, without waiting (slowest ${Math.max(...immediate.map((x) => x.ms))} ms)`);
  const bResults = await Promise.all(bWaits);
  const waitedB = bResults.filter((x) => x.r.headers.get("preference-applied")).length;
  t.equal(waitedB, 3, "user B got what the total bound (8) left");
  t.ok(bResults.every((x) => x.r.status === 202), "every one of B's submissions was accepted");
});
