// Issue 27 item 15: when the worker's `processing -> qa_check` write meets a database outage, the write is retried
// while the lease holds; the finished video is kept (not regenerated, not failed), and the worker claims no other
// job meanwhile. Before, the video was discarded as "generation failed" and the worker moved on to the next job.
import t from "tap";
import { openEmbedded } from "../helpers/server.js";
import { SMALL, finished, startJobServer, waitForJob } from "../helpers/jobs.js";

t.test("a failed state write is retried while the lease holds; the output is kept", async (t) => {
  const tdb = await openEmbedded();
  const ts = await startJobServer(tdb.db, { WORKERS: "1" }, { stepMs: 20 });
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
  });
  const lifecycle = ts.server.handle.services.lifecycle;
  const real = lifecycle.toState.bind(lifecycle);
  let refused = 0;
  let firstJob: string | undefined;
  // The database "goes away" for the first three tries of the first job's processing -> qa_check write.
  lifecycle.toState = async (h, from, to, patch, reason, details) => {
    if (to === "qa_check" && h.jobId === firstJob && refused < 3) {
      refused++;
      throw Object.assign(new Error("Connection terminated unexpectedly"), { code: "57P01" });
    }
    return real(h, from, to, patch, reason, details);
  };
  const u = await ts.client.user();
  firstJob = (await ts.client.post("/api/v1/videos/generate", SMALL, { token: u.access })).body.id as string;
  const second = (await ts.client.post("/api/v1/videos/generate", { ...SMALL, seed: 99 }, { token: u.access })).body.id as string;
  const done = await waitForJob(ts.client, u.access, firstJob, finished);
  t.equal(done.status, "completed", "the job completed with the video it had made");
  t.equal(refused, 3, "the write was refused three times, then went through");
  t.equal(done.attempt, 1, "no retry of the job");
  const knex = tdb.db.knex;
  const events = (await knex("job_events").where({ job_id: firstJob }).orderBy("id").select("to_status", "details")) as Array<{ to_status: string; details: { reason?: string } }>;
  t.notOk(events.some((e) => e.details.reason === "retry"), "not recorded as a failed generation");
  await waitForJob(ts.client, u.access, second, finished);
  t.equal(ts.backend.calls, 2, "each job was generated once: the first job's video was not thrown away");
  // One worker slot: the second job was claimed only after the first was past its write.
  const firstQa = await knex("job_events").where({ job_id: firstJob, to_status: "qa_check" }).first("created_at");
  const secondClaim = await knex("job_events").where({ job_id: second, to_status: "processing" }).first("created_at");
  t.ok(new Date(secondClaim.created_at) >= new Date(firstQa.created_at), "the worker held one job at a time");
  t.ok(ts.logs.lines.some((l) => l.includes("retrying the write while the lease holds")), "the outage is logged");
});
