// The queue under real concurrency, on a real PostgreSQL server: separate `aiprod worker` processes, a worker
// killed with SIGKILL mid-job (lease reclaim and the attempt fence), a worker paused (SIGSTOP) past its lease and
// resumed after another took its job, and the database restarted under load. Every test here needs the system
// PostgreSQL binaries: without them they are skipped and counted as skipped (in CI, where .ci/run installs
// PostgreSQL, they fail instead); never run on PGlite in its place.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { existsSync } from "node:fs";
import { systemPostgresMissing } from "../helpers/postgres.js";
import { openRealPostgres } from "../helpers/server.js";
import { SMALL, finished, startJobServer, waitForJob } from "../helpers/jobs.js";
import { spawnWorker, waitUntil } from "../helpers/workerProcess.js";

const count = async (knex: any, table: string, where: Record<string, unknown> = {}) => Number((await knex(table).where(where).count({ n: "*" }).first()).n);

async function submitMany(c: any, token: string, n: number, concurrency = 8): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const r = await c.post("/api/v1/videos/generate", { ...SMALL, steps: 2, seed: 1000 + (i % 7) }, { token });
        if (r.status !== 202) throw new Error(`submit ${i}: ${r.status} ${r.text}`);
        ids.push(r.body.id);
      }
    }),
  );
  return ids;
}

const needsServer = { skip: systemPostgresMissing() };

t.test("3 worker processes x 200 jobs: every job completes exactly once", needsServer, async (t) => {
  const tdb = await openRealPostgres();
  t.comment(tdb.note);
  // The API instance runs no workers (WORKERS=0): the three processes do all the work.
  const ts = await startJobServer(tdb.db, { WORKERS: "0", RATE_LIMIT_PER_MINUTE: "100000" });
  const procs: ReturnType<typeof spawnWorker>[] = [];
  t.teardown(async () => {
    for (const p of procs) p.child.kill("SIGKILL");
    await ts.close();
    await tdb.stop();
  });
  const user = await ts.client.user();
  const knex = tdb.db.knex;
  const ids = await submitMany(ts.client, user.access, 200);
  t.equal(new Set(ids).size, 200);
  const env = { AIPROD_TEST_BACKEND_MODE: "copy", AIPROD_TEST_STEP_MS: "1", AIPROD_TEST_STEPS: "2" };
  for (let i = 0; i < 3; i++) procs.push(spawnWorker(tdb.url as string, ts.dataDir, env));
  await waitUntil("200 completed jobs", async () => (await count(knex, "jobs", { status: "completed" })) + (await count(knex, "jobs", { status: "failed" })) >= 200, 240_000, 250);
  t.equal(await count(knex, "jobs", { status: "completed" }), 200, "all completed");
  t.equal(await count(knex, "job_results"), 200, "one result row per job");
  t.equal(await count(knex, "billing_transactions", { kind: "charge" }), 200, "one charge per job");
  const completions = (await knex("job_events").where({ to_status: "completed" }).select("job_id")) as Array<{ job_id: string }>;
  t.equal(completions.length, 200);
  t.equal(new Set(completions.map((c) => c.job_id)).size, 200, "no job completed twice");
  // SIGTERM: graceful exit.
  for (const p of procs) p.child.kill("SIGTERM");
  const codes = await Promise.all(procs.map((p) => p.exited));
  t.same(codes, [0, 0, 0], "workers exit cleanly on SIGTERM");
  const perProcess = procs.map((p) => p.completed());
  const all = perProcess.flat();
  t.equal(all.length, 200, "the processes logged 200 completions");
  t.equal(new Set(all).size, 200, "and none twice");
  t.ok(perProcess.every((l) => l.length > 0), `every process worked (${perProcess.map((l) => l.length).join(", ")})`);
  const logs = procs.flatMap((p) => p.lines).join("\n");
  // PostgreSQL's message, or its SQLSTATE as pino serializes it (a bare /23505/ once matched a gpu_seconds value)
  t.notMatch(logs, /duplicate key|"code":"23505"/, "the unique constraints never fired");
  t.equal(await count(knex, "workers", { status: "stopped" }), 3, "workers recorded their stop");
});

t.test("a worker killed with SIGKILL: reclaimed after the lease, the late completion is fenced", needsServer, async (t) => {
  const tdb = await openRealPostgres();
  const ts = await startJobServer(tdb.db, { WORKERS: "0" });
  const procs: ReturnType<typeof spawnWorker>[] = [];
  t.teardown(async () => {
    for (const p of procs) p.child.kill("SIGKILL");
    await ts.close();
    await tdb.stop();
  });
  const knex = tdb.db.knex;
  const user = await ts.client.user();
  const slow = spawnWorker(tdb.url as string, ts.dataDir, { AIPROD_TEST_STEP_MS: "300", AIPROD_TEST_STEPS: "30" });
  procs.push(slow);
  const id = (await ts.client.post("/api/v1/videos/generate", SMALL, { token: user.access })).body.id as string;
  await waitForJob(ts.client, user.access, id, (j) => j.status === "processing" && j.progress > 8, 30_000);
  const held = await knex("jobs").where({ id }).first();
  t.equal(held.attempt, 1);
  slow.child.kill("SIGKILL");
  await slow.exited;
  const killedAt = Date.now();
  // A healthy worker (and its housekeeping) takes over once the lease has expired.
  const healthy = spawnWorker(tdb.url as string, ts.dataDir, { AIPROD_TEST_STEP_MS: "5", METRICS_PORT: "0" });
  procs.push(healthy);
  const done = await waitForJob(ts.client, user.access, id, finished, 60_000);
  t.equal(done.status, "completed");
  // The worker process serves its own job metrics.
  const url = healthy.lines.map((l) => /metrics: (http:\S+)/.exec(l)?.[1]).find(Boolean);
  t.ok(url, "the worker printed its metrics URL");
  const metrics = await (await fetch(url as string)).text();
  t.match(metrics, /aiprod_jobs_finished_total\{pipeline="ti2vid_one_stage",status="completed",error_code=""\} 1/);
  t.match(metrics, /aiprod_gpu_seconds_total\{pipeline="ti2vid_one_stage",device="default"\} \d/);
  t.equal(done.attempt, 2, "completed by a second attempt");
  const reclaim = await knex("job_events").where({ job_id: id, to_status: "approved" }).orderBy("id").select("details", "created_at");
  t.equal(reclaim.length, 2, "approved at planning, and again at the reclaim");
  t.equal(reclaim[1].details.reason, "lease expired");
  t.ok(new Date(reclaim[1].created_at).getTime() >= new Date(held.lease_expires_at).getTime() - 50, "not reclaimed before the lease expired");
  t.ok(Date.now() - killedAt < 30_000);

  // The killed attempt comes back late: every settle of attempt 1 is refused.
  const { lifecycle, repos } = ts.server.handle.services;
  const stale = { jobId: id, attempt: 1, workerId: held.worker_id as string };
  t.equal(await repos.jobs.heartbeat(id, 1, stale.workerId, 10), undefined, "heartbeat refused");
  t.equal(await repos.jobs.progress(id, 1, stale.workerId, 50, "denoise"), false, "progress refused");
  t.equal(await lifecycle.toState(stale, "processing", "qa_check", {}, "late"), false, "state change refused");
  t.equal(await lifecycle.complete(stale, { outputPath: "/nonexistent", bytes: 1, gpuSeconds: 1, device: "x", result: {}, metadata: {} }), false, "completion refused");
  t.equal(await lifecycle.fail(stale, "processing", "x", "late failure", false), undefined, "failure refused");
  t.equal(await count(knex, "job_results", { job_id: id }), 1, "one result");
  t.equal(await count(knex, "billing_transactions", { job_id: id }), 1, "one charge");
  t.equal((await knex("jobs").where({ id }).first()).status, "completed");
  // The killed worker is reported missing by the alerts.
  const admin = await ts.client.login("admin@test.local", "admin-password-123");
  await knex("workers").where({ id: stale.workerId }).update({ heartbeat_at: new Date(Date.now() - 120_000) });
  const alerts = await ts.client.get("/api/v1/alerts", { token: admin.access });
  t.ok(alerts.body.alerts.some((a: any) => a.id === `worker_missing:${stale.workerId}`), "missing worker alert");
});

t.test("a worker paused (SIGSTOP) past its lease and resumed after another took the job: its completion, charge and output are refused", needsServer, async (t) => {
  const tdb = await openRealPostgres();
  const ts = await startJobServer(tdb.db, { WORKERS: "0" });
  const procs: ReturnType<typeof spawnWorker>[] = [];
  t.teardown(async () => {
    for (const p of procs) {
      p.child.kill("SIGCONT");
      p.child.kill("SIGKILL");
    }
    await ts.close();
    await tdb.stop();
  });
  const knex = tdb.db.knex;
  const user = await ts.client.user();
  // 40 steps of 100 ms: still generating when paused, with most of its work left when resumed.
  const paused = spawnWorker(tdb.url as string, ts.dataDir, { AIPROD_TEST_STEP_MS: "100", AIPROD_TEST_STEPS: "40" });
  procs.push(paused);
  const id = (await ts.client.post("/api/v1/videos/generate", SMALL, { token: user.access })).body.id as string;
  await waitForJob(ts.client, user.access, id, (j) => j.status === "processing" && j.progress > 5, 30_000);
  const held = await knex("jobs").where({ id }).first();
  t.equal(held.attempt, 1);
  paused.child.kill("SIGSTOP");
  const other = spawnWorker(tdb.url as string, ts.dataDir, { AIPROD_TEST_STEP_MS: "5" });
  procs.push(other);
  const done = await waitForJob(ts.client, user.access, id, finished, 60_000);
  t.equal(done.status, "completed");
  t.equal(done.attempt, 2, "the other worker completed it as attempt 2, after the lease expired");
  const result = await knex("job_results").where({ job_id: id }).first();
  t.equal(result.attempt, 2);
  t.ok(existsSync(result.output_path), "its output is there");

  // The paused worker wakes up with its attempt-1 work in flight.
  paused.child.kill("SIGCONT");
  await waitUntil("the resumed worker gives up the job", async () => paused.lines.some((l) => l.includes("lost the lease")), 30_000);
  await new Promise((r) => setTimeout(r, 500));
  t.notOk(paused.completed().includes(id), "the resumed worker did not complete the job");
  t.equal(await count(knex, "job_results", { job_id: id }), 1, "one result: the second attempt's");
  t.equal(await count(knex, "billing_transactions", { job_id: id }), 1, "one charge");
  const after = await knex("jobs").where({ id }).first();
  t.same([after.status, after.attempt], ["completed", 2], "still the second attempt's completion");
  t.not(after.worker_id, held.worker_id, "by the other worker");
  const completedAt = (await knex("job_events").where({ job_id: id, to_status: "completed" }).first()).created_at;
  const late = await knex("job_events").where({ job_id: id, attempt: 1 }).andWhere("created_at", ">", completedAt);
  t.same(late, [], "no event from attempt 1 after the completion");
  t.same(await knex("job_results").where({ job_id: id }).first(), result, "the result row (and its output path) is unchanged");
  t.ok(existsSync(result.output_path), "and the second attempt's output is still there");
  t.notOk(existsSync(ts.server.handle.services.storage.outputPath(id, 1, 0)), "the first attempt's output was removed");
});

t.test("database restarted under load: /readyz false then true, no job lost or duplicated", needsServer, async (t) => {
  const tdb = await openRealPostgres();
  if (!tdb.server?.pause || !tdb.server.resume) throw new Error("the system PostgreSQL helper has no pause/resume");
  const dataDir = mkdtempSync(join(tmpdir(), "aiprod-restart-"));
  const ts = await startJobServer(tdb.db, { WORKERS: "2", JOB_LEASE_MS: "1500", JOB_HEARTBEAT_MS: "300" }, { stepMs: 40, steps: 5 });
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const knex = tdb.db.knex;
  const user = await ts.client.user();
  const ids = await submitMany(ts.client, user.access, 30, 4);
  await waitUntil("some jobs done", async () => (await count(knex, "jobs", { status: "completed" })) >= 3, 60_000);
  t.equal((await ts.client.get("/readyz")).status, 200);
  // The outage must hit jobs in flight: some taken by a worker and not finished when the server stops.
  const inFlight = (await knex("jobs").whereIn("id", ids).whereIn("status", ["processing", "qa_check", "finalizing"]).select("id")).map((r: { id: string }) => r.id);
  const waiting = (await knex("jobs").whereIn("id", ids).whereNotIn("status", ["completed", "failed", "cancelled", "expired"]).select("id")).length;
  t.ok(inFlight.length > 0, `${inFlight.length} jobs running and ${waiting} unfinished when the database went down`);
  tdb.server.pause();
  let sawDown = false;
  await waitUntil("/readyz 503", async () => {
    const r = await ts.client.get("/readyz");
    sawDown = r.status === 503 && r.body.checks.some((c: any) => c.name === "database" && !c.ok);
    return sawDown;
  }, 20_000, 200);
  t.ok(sawDown, "/readyz answers 503 while the database is down");
  await new Promise((r) => setTimeout(r, 1500));
  tdb.server.resume();
  await waitUntil("/readyz 200", async () => (await ts.client.get("/readyz")).status === 200, 30_000, 200);
  t.pass("/readyz answers 200 again");
  await waitUntil("every job finished", async () => {
    const rows = await knex("jobs").whereIn("id", ids).whereIn("status", ["completed", "failed", "cancelled", "expired"]).count({ n: "*" }).first();
    return Number(rows?.n) === ids.length;
  }, 120_000, 250);
  t.equal(await count(knex, "jobs", { status: "completed" }), 30, "every accepted job completed");
  t.equal((await knex("jobs").whereIn("id", inFlight).where({ status: "completed" })).length, inFlight.length, "the jobs in flight during the outage too");
  t.equal(await count(knex, "job_results"), 30, "one result each");
  t.equal(await count(knex, "billing_transactions", { kind: "charge" }), 30, "one charge each");
  const completions = (await knex("job_events").where({ to_status: "completed" }).select("job_id")) as Array<{ job_id: string }>;
  t.equal(new Set(completions.map((c) => c.job_id)).size, completions.length, "no job completed twice");
});
