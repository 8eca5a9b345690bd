// What a job leaves in outputs/<jobId>/ once the worker is done with it: nothing at all for a failed or
// cancelled job (not even the empty folder), and the video of a completed job even when the completion's
// acknowledgement failed after its commit.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { openEmbedded } from "../helpers/server.js";
import { SMALL, finished, jobServerFor, waitForJob } from "../helpers/jobs.js";
import { waitUntil } from "../helpers/workerProcess.js";
import type { CompletionInput, Hold } from "../../server/jobs/lifecycle.js";

t.test("output folders of failed, cancelled and completed jobs", async (t) => {
  const { tdb, ts } = await jobServerFor(t, openEmbedded, { QA_MAX_RETRIES: "0" }, { stepMs: 50, mode: "copy" });
  const c = ts.client;
  const u = await c.user();
  const o = (ts.backend as any).o;
  const folder = (id: string) => join(ts.dataDir, "outputs", id);

  await t.test("a job failing QA leaves no folder", async (t) => {
    o.blankAll = true;
    t.teardown(() => (o.blankAll = false));
    const id = (await c.post("/api/v1/videos/generate", { ...SMALL, steps: 1 }, { token: u.access })).body.id as string;
    const done = await waitForJob(c, u.access, id, finished);
    t.equal(done.status, "failed");
    t.equal(done.error.code, "qa.failed");
    // The worker removes the folder after it settled the job.
    await t.resolves(waitUntil("outputs/<jobId>/ removed", async () => !existsSync(folder(id)), 3000, 25), "outputs/<jobId>/ removed");
  });

  await t.test("a job cancelled while processing leaves no folder", async (t) => {
    const id = (await c.post("/api/v1/videos/generate", { ...SMALL, steps: 40, seed: 3 }, { token: u.access })).body.id as string;
    await waitForJob(c, u.access, id, (j) => j.status === "processing" && j.progress > 10);
    t.ok(existsSync(folder(id)), "the folder exists while the job runs");
    t.equal((await c.post(`/api/v1/videos/${id}/cancel`, undefined, { token: u.access })).status, 200);
    t.equal((await waitForJob(c, u.access, id, finished)).status, "cancelled");
    // The worker removes the folder after it settled the job.
    await t.resolves(waitUntil("outputs/<jobId>/ removed", async () => !existsSync(folder(id)), 3000, 25), "outputs/<jobId>/ removed");
  });

  await t.test("a completion that commits and then throws keeps the video", async (t) => {
    const lifecycle = ts.server.handle.services.lifecycle;
    const real = lifecycle.complete;
    let threw = 0;
    lifecycle.complete = async (h: Hold, input: CompletionInput) => {
      const ok = await real.call(lifecycle, h, input);
      if (!ok) return ok;
      threw += 1;
      throw new Error("Connection terminated unexpectedly"); // the COMMIT went through; its acknowledgement did not
    };
    t.teardown(() => {
      lifecycle.complete = real;
    });
    const id = (await c.post("/api/v1/videos/generate", { ...SMALL, steps: 1, seed: 11 }, { token: u.access })).body.id as string;
    const done = await waitForJob(c, u.access, id, finished);
    t.equal(done.status, "completed");
    t.equal(threw, 1, "complete() threw after committing");
    await new Promise((r) => setTimeout(r, 200)); // the worker's cleanup has run
    const result = await tdb.db.knex("job_results").where({ job_id: id }).first();
    t.ok(existsSync(result.output_path), "the completed job's file is kept");
    t.same(readdirSync(folder(id)), ["attempt-1-0.mp4"]);
    const dl = await fetch(`${ts.url}/api/v1/videos/${id}/download`, { headers: { authorization: `Bearer ${u.access}` } });
    t.equal(dl.status, 200, "and downloadable");
    t.equal(Number(dl.headers.get("content-length")), done.result.bytes);
    await dl.arrayBuffer();
    t.equal((await tdb.db.knex("billing_transactions").where({ job_id: id })).length, 1, "charged once");
    t.match(ts.logs.text(), /the completion reported an error but was committed/, "the worker says so");
  });

  await t.test("a job that completes normally keeps its folder and file", async (t) => {
    const id = (await c.post("/api/v1/videos/generate", { ...SMALL, steps: 1, seed: 12 }, { token: u.access })).body.id as string;
    t.equal((await waitForJob(c, u.access, id, finished)).status, "completed");
    await new Promise((r) => setTimeout(r, 200));
    t.same(readdirSync(folder(id)), ["attempt-1-0.mp4"]);
  });
});
