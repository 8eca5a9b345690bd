// The job's life with a worker: cancel during processing (stops within one step, cancelled, uncharged; the
// in-process signal and the polled request of another instance), cancel while queued, QA failure retried with
// a new seed, QA failing for good, retryable failures with backoff. Both databases.
import t from "tap";
import { DATABASES } from "../helpers/server.js";
import { SMALL, finished, jobServerFor, startJobServer, waitForJob } from "../helpers/jobs.js";

for (const { name, open } of DATABASES) {
  t.test(`job lifecycle on ${name}`, async (t) => {
    const { tdb, ts } = await jobServerFor(t, open, {}, { stepMs: 150, blankSeeds: [4242] });
    const c = ts.client;
    const knex = tdb.db.knex;
    const u = await c.user();
    const b = ts.backend;

    await t.test("cancel during processing stops within one step, uncharged", async (t) => {
      const id = (await c.post("/api/v1/videos/generate", { ...SMALL, steps: 40 }, { token: u.access })).body.id as string;
      await waitForJob(c, u.access, id, (j) => j.status === "processing" && j.progress > 10);
      const before = b.stepsRun.length;
      const aborts = b.abortedAtStep.length;
      const r = await c.post(`/api/v1/videos/${id}/cancel`, undefined, { token: u.access });
      t.equal(r.status, 200);
      const done = await waitForJob(c, u.access, id, finished);
      t.equal(done.status, "cancelled");
      t.ok(b.stepsRun.length - before <= 1, `at most one more step ran (${b.stepsRun.length - before})`);
      t.equal(b.abortedAtStep.length, aborts + 1, "the backend saw the abort");
      t.equal(done.cost.actual_micros, null, "no actual cost");
      t.equal((await knex("billing_transactions").where({ job_id: id })).length, 0, "nothing charged");
      const last = await knex("job_events").where({ job_id: id }).orderBy("id", "desc").first();
      t.same([last.from_status, last.to_status], ["processing", "cancelled"]);
      t.equal((await c.post(`/api/v1/videos/${id}/cancel`, undefined, { token: u.access })).status, 200, "cancelling again is a no-op");
    });

    await t.test("a cancel requested through another instance (polled) also stops it", async (t) => {
      const id = (await c.post("/api/v1/videos/generate", { ...SMALL, steps: 40, seed: 5 }, { token: u.access })).body.id as string;
      await waitForJob(c, u.access, id, (j) => j.status === "processing" && j.progress > 10);
      const before = b.stepsRun.length;
      await knex("jobs").where({ id }).update({ cancel_requested_at: new Date() });
      const done = await waitForJob(c, u.access, id, finished);
      t.equal(done.status, "cancelled");
      t.ok(b.stepsRun.length - before <= 2, `stopped within the poll interval and one step (${b.stepsRun.length - before})`);
    });

    await t.test("cancel while queued: never runs", async (t) => {
      const busy = (await c.post("/api/v1/videos/generate", { ...SMALL, steps: 40, seed: 6 }, { token: u.access })).body.id as string;
      await waitForJob(c, u.access, busy, (j) => j.status === "processing");
      const queued = await c.post("/api/v1/videos/generate", { ...SMALL, seed: 7 }, { token: u.access });
      t.equal(queued.body.status, "approved");
      t.equal(queued.body.queue_position, 0, "first in line");
      const r = await c.post(`/api/v1/videos/${queued.body.id}/cancel`, undefined, { token: u.access });
      t.equal(r.body.status, "cancelled");
      const evs = await knex("job_events").where({ job_id: queued.body.id }).orderBy("id").pluck("to_status");
      t.same(evs, ["received", "planning", "approved", "cancelled"]);
      t.equal((await c.del(`/api/v1/videos/${busy}`, { token: u.access })).status, 409, "a running job cannot be deleted");
      await c.post(`/api/v1/videos/${busy}/cancel`, undefined, { token: u.access });
      await waitForJob(c, u.access, busy, finished);
    });

    await t.test("QA failure retries with a new seed", async (t) => {
      const id = (await c.post("/api/v1/videos/generate", { ...SMALL, steps: 1, seed: 4242 }, { token: u.access })).body.id as string;
      const done = await waitForJob(c, u.access, id, finished);
      t.equal(done.status, "completed", JSON.stringify(done.error));
      t.not(done.result.seed, 4242, "a new seed");
      const evs = await knex("job_events").where({ job_id: id }).orderBy("id").select("from_status", "to_status", "details");
      const back = evs.find((e: any) => e.from_status === "qa_check" && e.to_status === "processing");
      t.ok(back, "qa_check -> processing");
      t.match(JSON.stringify(back.details), /not_blank/);
      t.equal(done.attempt, 1, "same attempt");
      const completed = await c.post(`/api/v1/videos/${id}/cancel`, undefined, { token: u.access });
      t.equal(completed.status, 409, "a completed job cannot be cancelled");
    });

    await t.test("retryable failure: back to the queue with backoff, then completes", async (t) => {
      const failing = ts.backend as any;
      failing.o.failFirst = failing.calls + 1; // the next call fails once
      const id = (await c.post("/api/v1/videos/generate", { ...SMALL, steps: 1, seed: 8 }, { token: u.access })).body.id as string;
      const done = await waitForJob(c, u.access, id, finished);
      t.equal(done.status, "completed");
      t.equal(done.attempt, 2);
      const retry = await knex("job_events").where({ job_id: id, from_status: "processing", to_status: "approved" }).first();
      t.equal(retry.details.reason, "retry");
      t.equal(retry.details.error_code, "generation.transient");
      failing.o.failFirst = 0;
    });
  });
}

t.test("QA failing every time: failed, not charged", async (t) => {
  const tdb = await DATABASES[0].open();
  const ts = await startJobServer(tdb.db, { QA_MAX_RETRIES: "1" }, { stepMs: 5, blankAll: true });
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
  });
  const u = await ts.client.user();
  const id = (await ts.client.post("/api/v1/videos/generate", { ...SMALL, steps: 1 }, { token: u.access })).body.id as string;
  const done = await waitForJob(ts.client, u.access, id, finished);
  t.equal(done.status, "failed");
  t.equal(done.error.code, "qa.failed");
  t.match(done.error.message, /not_blank/);
  t.equal(ts.backend.calls, 2, "one try and one retry");
  t.equal((await tdb.db.knex("billing_transactions").where({ job_id: id })).length, 0);
  t.equal((await ts.client.get(`/api/v1/videos/${id}/download`, { token: u.access })).status, 409);
});

t.test("graceful shutdown returns the job in hand to the queue; unstarted jobs expire after the queue deadline", async (t) => {
  const tdb = await DATABASES[0].open();
  t.teardown(() => tdb.stop());
  const knex = tdb.db.knex;
  const ts = await startJobServer(tdb.db, { SHUTDOWN_TIMEOUT_MS: "300" }, { stepMs: 200 });
  const u = await ts.client.user();
  const running = (await ts.client.post("/api/v1/videos/generate", { ...SMALL, steps: 40 }, { token: u.access })).body.id as string;
  await waitForJob(ts.client, u.access, running, (j) => j.status === "processing" && j.progress > 8);
  const queued = (await ts.client.post("/api/v1/videos/generate", { ...SMALL, seed: 77 }, { token: u.access })).body.id as string;
  await ts.close();
  const j = await knex("jobs").where({ id: running }).first();
  t.equal(j.status, "approved", "back in the queue");
  t.equal(j.attempt, 1, "attempt kept");
  t.equal(j.max_attempts, 4, "the released attempt does not count against the job");
  const ev = await knex("job_events").where({ job_id: running }).orderBy("id", "desc").first();
  t.equal(ev.details.reason, "released at worker shutdown");
  t.equal((await knex("workers").where({ status: "stopped" })).length, 1, "the worker recorded its stop");

  // The queued job's deadline passes before any worker starts it: expired, never charged.
  await knex("jobs").where({ id: queued }).update({ expires_at: new Date(Date.now() - 1000) });
  const again = await startJobServer(tdb.db, { WORKERS: "0" });
  t.teardown(() => again.close());
  await again.server.pool.tick();
  const e = await knex("jobs").where({ id: queued }).first();
  t.equal(e.status, "expired");
  t.equal(e.error_code, "queue.expired");
  t.equal((await knex("billing_transactions").where({ job_id: queued })).length, 0);
});

t.test("a lost worker: the user sees that it was lost, not its host and process id (issue 27 item 17)", async (t) => {
  const tdb = await DATABASES[0].open();
  t.teardown(() => tdb.stop());
  const ts = await startJobServer(tdb.db, { WORKERS: "0" });
  t.teardown(() => ts.close());
  const u = await ts.client.user();
  const id = (await ts.client.post("/api/v1/videos/generate", SMALL, { token: u.access })).body.id as string;
  // A worker on another machine claims the job with a short lease and vanishes.
  const held = await ts.server.handle.services.repos.jobs.claim("gpu-host-7.internal:4242:0", 0.2);
  t.equal(held?.id, id);
  await new Promise((r) => setTimeout(r, 400));
  await ts.server.pool.tick();
  const job = (await ts.client.get(`/api/v1/videos/${id}`, { token: u.access })).body;
  t.equal(job.status, "approved", "back in the queue");
  t.equal(job.error.code, "infra.worker_lost");
  t.notMatch(job.error.message, /gpu-host-7|4242/, "no host or process id in what the user sees");
  t.ok(ts.logs.lines.some((l) => l.includes("reclaimed a job") && l.includes("gpu-host-7.internal:4242:0")), "the log names the worker");
});
