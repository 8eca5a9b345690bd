// Issue 27 item 5: actual spending stays within the monthly budget. Admission checks estimates; before the fix a
// job estimated at 2010 was charged 3209 against a budget of 2413. Now the worker stops a job at the next step
// once its cost passes what the budget leaves it, and a completion's charge is capped at the budget's remainder.
import t from "tap";
import { ADMIN_EMAIL, ADMIN_PASSWORD, openEmbedded } from "../helpers/server.js";
import { SMALL, finished, startJobServer, waitForJob } from "../helpers/jobs.js";

t.test("actual spending stays within the budget", async (t) => {
  const tdb = await openEmbedded();
  t.teardown(() => tdb.stop());
  const knex = tdb.db.knex;

  t.test("a running job whose cost passes its allowance is stopped at the next step, uncharged", async (t) => {
    const ts = await startJobServer(tdb.db, {}, { stepMs: 300 });
    t.teardown(() => ts.close());
    const u = await ts.client.user();
    const admin = await ts.client.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const body = { ...SMALL, steps: 20 }; // about 6 s of work, estimated at about 2 GPU-seconds
    const estimate = (await ts.client.post("/api/v1/estimate-cost", body, { token: u.access })).body.cost_micros as number;
    const budget = Math.ceil(estimate * 1.05);
    t.equal((await ts.client.req("PUT", `/api/v1/admin/users/${u.id}/budget`, { token: admin.access, body: { monthly_limit_micros: budget } })).status, 200);
    const sub = await ts.client.post("/api/v1/videos/generate", body, { token: u.access });
    t.equal(sub.status, 202, "admitted: the estimate fits");
    const done = await waitForJob(ts.client, u.access, sub.body.id, finished);
    t.equal(done.status, "failed");
    t.equal(done.error.code, "billing.budget_exceeded");
    t.ok(ts.backend.stepsRun.length < 20, `stopped before the end (${ts.backend.stepsRun.length} of 20 steps)`);
    const spent = Number((await knex("billing_transactions").where({ user_id: u.id }).sum({ s: "amount_micros" }).first())?.s ?? 0);
    t.ok(spent <= budget, `spent ${spent} <= budget ${budget}`);
  });

  t.test("a completion is charged at most what is left of the budget", async (t) => {
    const ts = await startJobServer(tdb.db, { WORKERS: "0" });
    t.teardown(() => ts.close());
    const u = await ts.client.user();
    const admin = await ts.client.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const budget = 2413;
    await ts.client.req("PUT", `/api/v1/admin/users/${u.id}/budget`, { token: admin.access, body: { monthly_limit_micros: budget } });
    const sub = await ts.client.post("/api/v1/videos/generate", SMALL, { token: u.access });
    t.equal(sub.status, 202, sub.text);
    const { jobs, workers: _w } = ts.server.handle.services.repos;
    const lifecycle = ts.server.handle.services.lifecycle;
    const held = await jobs.claim("worker-x", 30);
    t.equal(held?.id, sub.body.id);
    const hold = { jobId: sub.body.id as string, attempt: held!.attempt, workerId: "worker-x" };
    t.ok(await lifecycle.toState(hold, "processing", "qa_check", {}, "generated"));
    t.ok(await lifecycle.toState(hold, "qa_check", "finalizing", {}, "QA passed"));
    // The work took 3.209 GPU-seconds (3209 micro-units at the standard price): more than the budget.
    t.ok(await lifecycle.complete(hold, { outputPath: "/nonexistent.mp4", bytes: 1, gpuSeconds: 3.209, device: "default", result: { width: 64, height: 64, frames: 9, fps: 8, duration_seconds: 1.125 }, metadata: {} }));
    const charged = Number((await knex("billing_transactions").where({ job_id: sub.body.id, kind: "charge" }).first()).amount_micros);
    t.equal(charged, budget, "charged the budget's remainder, not 3209");
    const ev = await knex("job_events").where({ job_id: sub.body.id, to_status: "completed" }).first();
    t.equal(ev.details.waived_over_budget_micros, 3209 - budget, "the waived part is recorded");
  });
});
