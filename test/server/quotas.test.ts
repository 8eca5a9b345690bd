// Issue 27 item 3: per-user quotas on video jobs and a default budget for new accounts. Before, one user could
// queue 25 jobs of the largest size, run them on every worker at once, with no budget.
import t from "tap";
import { ADMIN_EMAIL, ADMIN_PASSWORD, openEmbedded, type TestServer } from "../helpers/server.js";
import { SMALL, startJobServer } from "../helpers/jobs.js";

const quotaEnv = (env: Record<string, string>) => ({ JOB_MAX_QUEUED_PER_USER: "100000", JOB_MAX_RUNNING_PER_USER: "1000", JOB_MAX_GPU_SECONDS_PER_USER_PER_DAY: "100000000", DEFAULT_MONTHLY_BUDGET_MICROS: "0", JOB_TIER_QUOTAS: "{}", ...env });

t.test("quotas", async (t) => {
  const tdb = await openEmbedded();
  const servers: TestServer[] = [];
  t.teardown(async () => {
    for (const s of servers.reverse()) await s.close();
    await tdb.stop();
  });
  const start = async (env: Record<string, string>, backend = {}) => {
    const s = await startJobServer(tdb.db, quotaEnv(env), backend);
    servers.push(s);
    return s;
  };

  t.test("queued jobs per user: the 4th unstarted job is refused, naming the limit; others are not affected", async (t) => {
    const ts = await start({ WORKERS: "0", JOB_MAX_QUEUED_PER_USER: "3" });
    const [a, b] = [await ts.client.user(), await ts.client.user()];
    for (let i = 0; i < 3; i++) t.equal((await ts.client.post("/api/v1/videos/generate", SMALL, { token: a.access })).status, 202, `job ${i + 1}`);
    const r = await ts.client.post("/api/v1/videos/generate", SMALL, { token: a.access });
    t.equal(r.status, 429);
    t.equal(r.body.code, "quota_exceeded");
    t.same(r.body["violated-policies"], ["queued-jobs"]);
    t.match(r.body.detail, /limit \(queued-jobs\) is 3; it frees up as they start, finish or are cancelled/);
    t.ok(r.headers.get("retry-after"));
    t.equal((await ts.client.get("/api/v1/videos", { token: a.access })).body.data.length, 3, "the refused job was not created");
    t.equal((await ts.client.post("/api/v1/videos/generate", SMALL, { token: b.access })).status, 202, "another user still submits");
    const first = (await ts.client.get("/api/v1/videos", { token: a.access })).body.data[0];
    await ts.client.post(`/api/v1/videos/${first.id}/cancel`, undefined, { token: a.access });
    t.equal((await ts.client.post("/api/v1/videos/generate", SMALL, { token: a.access })).status, 202, "a cancel frees a place");
  });

  t.test("GPU-seconds per day: estimates of unfinished jobs count; the refusal says when it resets", async (t) => {
    const probe = await start({ WORKERS: "0" });
    const u = await probe.client.user();
    const est = await probe.client.post("/api/v1/estimate-cost", SMALL, { token: u.access });
    t.equal(est.status, 200, est.text);
    const perJob = est.body.gpu_seconds as number;
    const ts = await start({ WORKERS: "0", JOB_MAX_GPU_SECONDS_PER_USER_PER_DAY: String(Math.max(1, Math.floor(perJob * 2.5))) });
    const v = await ts.client.user();
    t.equal((await ts.client.post("/api/v1/videos/generate", SMALL, { token: v.access })).status, 202);
    t.equal((await ts.client.post("/api/v1/videos/generate", SMALL, { token: v.access })).status, 202);
    const r = await ts.client.post("/api/v1/videos/generate", SMALL, { token: v.access });
    t.equal(r.status, 429, `the third job passes 2.5 jobs' worth (${perJob} GPU-s each)`);
    t.same(r.body["violated-policies"], ["gpu-seconds-per-day"]);
    t.match(r.body.detail, /resets at \d{4}-\d\d-\d\dT00:00:00\.000Z/);
    const retry = Number(r.headers.get("retry-after"));
    t.ok(retry > 0 && retry <= 86_400, "Retry-After: until the next UTC midnight");
  });

  t.test("running jobs per user: a saturated user's jobs are passed over at claim, others' are claimed", async (t) => {
    // Workers of one process share a device lock (one job at a time), so the claims are made here directly, as
    // workers on several machines would make them.
    const own = await openEmbedded();
    const ts = await startJobServer(own.db, quotaEnv({ WORKERS: "0", JOB_MAX_RUNNING_PER_USER: "1" }));
    t.teardown(async () => {
      await ts.close();
      await own.stop();
    });
    const [a, b] = [await ts.client.user(), await ts.client.user()];
    for (let i = 0; i < 2; i++) await ts.client.post("/api/v1/videos/generate", { ...SMALL, seed: i + 1 }, { token: a.access });
    await ts.client.post("/api/v1/videos/generate", SMALL, { token: b.access });
    const jobs = ts.server.handle.services.repos.jobs;
    const max = ts.server.config.jobs.maxRunningPerUser;
    t.equal(max, 1);
    const first = await jobs.claim("worker-1", 30, max);
    t.equal(first?.user_id, a.id, "the oldest job (A's) first");
    const second = await jobs.claim("worker-2", 30, max);
    t.equal(second?.user_id, b.id, "A already runs its one job: B's is claimed before A's second");
    t.equal(await jobs.claim("worker-3", 30, max), undefined, "nothing left that may run");
    const [x, y] = await Promise.all([jobs.claim("worker-4", 30, 5), jobs.claim("worker-5", 30, 5)]);
    t.ok((x === undefined) !== (y === undefined), "with a limit of 5, A's second job is claimed once");
  });

  t.test("per pricing tier: fewer priority jobs waiting and running; other tiers unaffected", async (t) => {
    const own = await openEmbedded();
    const ts = await startJobServer(own.db, quotaEnv({ WORKERS: "0", JOB_TIER_QUOTAS: JSON.stringify({ priority: { queued: 2, running: 1 } }) }));
    t.teardown(async () => {
      await ts.close();
      await own.stop();
    });
    const u = await ts.client.user();
    for (let i = 0; i < 2; i++) t.equal((await ts.client.post("/api/v1/videos/generate", { ...SMALL, seed: i, tier: "priority" }, { token: u.access })).status, 202);
    const r = await ts.client.post("/api/v1/videos/generate", { ...SMALL, seed: 9, tier: "priority" }, { token: u.access });
    t.equal(r.status, 429, "a third priority job waiting is refused");
    t.same(r.body["violated-policies"], ["queued-jobs:priority"]);
    t.match(r.body.detail, /2 priority-tier jobs waiting to start, the limit \(queued-jobs:priority\) is 2/);
    t.equal((await ts.client.post("/api/v1/videos/generate", { ...SMALL, seed: 9 }, { token: u.access })).status, 202, "a standard job is still accepted");
    const jobs = ts.server.handle.services.repos.jobs;
    const c = ts.server.config.jobs;
    const first = await jobs.claim("w1", 30, c.maxRunningPerUser, { priority: 1 });
    t.equal(first?.pricing_tier, "priority", "priority first");
    const second = await jobs.claim("w2", 30, c.maxRunningPerUser, { priority: 1 });
    t.equal(second?.pricing_tier, "standard", "the second priority job waits: one priority job runs; the standard one is claimed");
  });

  t.test("new accounts get the default monthly budget", async (t) => {
    const ts = await start({ WORKERS: "0", DEFAULT_MONTHLY_BUDGET_MICROS: "5000000" });
    const u = await ts.client.user();
    const r = await ts.client.get("/api/v1/billing/budget", { token: u.access });
    t.equal(r.body.monthly_limit_micros, 5_000_000);
    const admin = await ts.client.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    t.equal((await ts.client.get("/api/v1/billing/budget", { token: admin.access })).body.monthly_limit_micros, null, "existing accounts are unchanged");
  });
});
