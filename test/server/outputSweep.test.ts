// Issue 27 item 16: housekeeping removes output files no job will use: temporaries of killed workers, files of
// reclaimed attempts, files of failed and deleted jobs, and anything beside a completed job's result; the result
// and the attempt a worker holds now stay. Before, they stayed under outputs/ forever.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import t from "tap";
import { openEmbedded } from "../helpers/server.js";
import { SMALL, finished, startJobServer, waitForJob } from "../helpers/jobs.js";

t.test("unused output files are swept", async (t) => {
  const tdb = await openEmbedded();
  t.teardown(() => tdb.stop());
  const knex = tdb.db.knex;
  const first = await startJobServer(tdb.db, { WORKERS: "1" });
  const u = await first.client.user();
  const done = (await first.client.post("/api/v1/videos/generate", SMALL, { token: u.access })).body.id as string;
  t.equal((await waitForJob(first.client, u.access, done, finished)).status, "completed");
  const dataDir = first.dataDir;
  await first.server.close(); // keep the data directory: the second server shares it
  const secrets = { JWT_SECRET: first.server.config.jwtSecret, API_KEY_PEPPER: first.server.config.apiKeyPepper };
  const ts = await startJobServer(tdb.db, { WORKERS: "0", AIPROD_DATA_DIR: dataDir, ...secrets });
  t.teardown(async () => {
    await ts.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const outputs = join(dataDir, "outputs");
  const file = (job: string, name: string) => {
    mkdirSync(join(outputs, job), { recursive: true });
    writeFileSync(join(outputs, job, name), "x");
    return join(outputs, job, name);
  };
  const result = (await knex("job_results").where({ job_id: done }).first()).output_path as string;
  const strayTmp = file(done, "attempt-1-0.mp4.tmp.mp4");
  const oldAttempt = file(done, "attempt-0-0.mp4");
  // A job a worker holds at attempt 2 (attempt 1 was reclaimed), one that failed, one deleted.
  const running = (await ts.client.post("/api/v1/videos/generate", { ...SMALL, seed: 2 }, { token: u.access })).body.id as string;
  await knex("jobs").where({ id: running }).update({ status: "processing", attempt: 2, worker_id: "w-elsewhere", lease_expires_at: new Date(Date.now() + 3_600_000) });
  const reclaimed = file(running, "attempt-1-0.mp4");
  const current = file(running, "attempt-2-0.mp4");
  const failedJob = (await ts.client.post("/api/v1/videos/generate", { ...SMALL, seed: 3 }, { token: u.access })).body.id as string;
  await knex("jobs").where({ id: failedJob }).update({ status: "failed", attempt: 3 });
  const failedFile = file(failedJob, "attempt-3-0.mp4");
  const deletedJob = randomUUID();
  const orphan = file(deletedJob, "attempt-1-0.mp4");

  // Everything is fresh: nothing is removed yet (the attempt that wrote a file may still be running).
  t.equal(await ts.server.pool.sweepOutputs(Date.now() + 11 * 60_000 - 60 * 60_000), 0, "files younger than two leases stay");
  const removed = await ts.server.pool.sweepOutputs(Date.now() + 11 * 60_000);
  t.equal(removed, 5);
  t.ok(existsSync(result), "the completed job's result stays");
  t.ok(existsSync(current), "the attempt a worker holds stays");
  for (const [what, p] of [["a killed worker's temporary", strayTmp], ["a stale attempt beside a result", oldAttempt], ["a reclaimed attempt", reclaimed], ["a failed job's file", failedFile], ["a deleted job's file", orphan]] as const) {
    t.notOk(existsSync(p), `${what} is removed`);
  }
  t.notOk(existsSync(join(outputs, deletedJob)), "and the deleted job's folder");
  t.notOk(existsSync(join(outputs, failedJob)), "and the failed job's folder");
});
