// The state machine: the legal transitions and nothing else, enforced where every status change happens
// (JobsRepository.transition), with one job_events row per transition.
import t from "tap";
import { canTransition, IllegalTransitionError, JOB_STATES, type JobState } from "../../server/jobs/stateMachine.js";
import { JobsRepository } from "../../server/repositories/jobsRepository.js";
import { migrateLatest } from "../../server/db/migrate.js";
import { openEmbedded } from "../helpers/server.js";
import { backoffMs } from "../../server/jobs/lifecycle.js";

const LEGAL: Array<[JobState, JobState]> = [
  ["received", "planning"], ["received", "cancelled"], ["received", "failed"],
  ["planning", "approved"], ["planning", "cancelled"], ["planning", "failed"],
  ["approved", "processing"], ["approved", "cancelled"], ["approved", "expired"],
  ["processing", "qa_check"], ["processing", "approved"], ["processing", "cancelled"], ["processing", "failed"],
  ["qa_check", "finalizing"], ["qa_check", "processing"], ["qa_check", "approved"], ["qa_check", "cancelled"], ["qa_check", "failed"],
  ["finalizing", "completed"], ["finalizing", "approved"], ["finalizing", "failed"],
  ["completed", "expired"],
];

t.test("exactly the documented transitions are legal", async (t) => {
  for (const from of JOB_STATES) {
    for (const to of JOB_STATES) {
      const want = LEGAL.some(([a, b]) => a === from && b === to);
      t.equal(canTransition(from, to), want, `${from} -> ${to}`);
    }
  }
  for (const s of ["failed", "cancelled", "expired"] as const) t.ok(JOB_STATES.every((to) => !canTransition(s, to)), `${s} is final`);
});

t.test("the repository refuses illegal and stale transitions and records legal ones", async (t) => {
  const tdb = await openEmbedded();
  t.teardown(() => tdb.stop());
  const knex = tdb.db.knex;
  await migrateLatest(knex);
  const [user] = await knex("users").insert({ email: "sm@example.com", password_hash: "x", role: "user" }).returning("id");
  const repo = new JobsRepository(knex);
  const job = await knex.transaction((trx) => repo.insert(trx, { user_id: user.id, params: { pipeline: "distilled" } }));
  await t.rejects(knex.transaction((trx) => repo.transition(trx, job.id, "received", "completed", { reason: "skip" })), IllegalTransitionError);
  await t.rejects(knex.transaction((trx) => repo.transition(trx, job.id, "cancelled", "approved", { reason: "revive" })), IllegalTransitionError);
  // Stale source state: the row is not in `from`, nothing changes.
  t.equal(await knex.transaction((trx) => repo.transition(trx, job.id, "planning", "approved", { reason: "stale" })), undefined);
  const p = await knex.transaction((trx) => repo.transition(trx, job.id, "received", "planning", { reason: "plan" }));
  t.equal(p?.status, "planning");
  await knex.transaction((trx) => repo.transition(trx, job.id, "planning", "approved", { reason: "ok" }));
  // Claim sets the fence; a transition for another attempt or worker changes nothing.
  const claimed = await repo.claim("w1", 30);
  t.equal(claimed?.attempt, 1);
  t.equal(await knex.transaction((trx) => repo.transition(trx, job.id, "processing", "qa_check", { attempt: 2, workerId: "w1", reason: "wrong attempt" })), undefined);
  t.equal(await knex.transaction((trx) => repo.transition(trx, job.id, "processing", "qa_check", { attempt: 1, workerId: "w2", reason: "wrong worker" })), undefined);
  t.ok(await knex.transaction((trx) => repo.transition(trx, job.id, "processing", "qa_check", { attempt: 1, workerId: "w1", reason: "right" })));
  const evs = await knex("job_events").where({ job_id: job.id }).orderBy("id");
  t.same(evs.map((e: any) => [e.from_status, e.to_status]), [[null, "received"], ["received", "planning"], ["planning", "approved"], ["approved", "processing"], ["processing", "qa_check"]]);
  t.equal(evs[3].attempt, 1);
  t.equal(await repo.claim("w2", 30), undefined, "nothing else to claim");
  // The database also refuses unknown states.
  await t.rejects(knex("jobs").where({ id: job.id }).update({ status: "running" }), /jobs_status_check/);
});

t.test("backoff grows and is capped", async (t) => {
  for (let a = 1; a <= 8; a++) {
    const d = backoffMs(a, 100, 1000);
    const exp = Math.min(1000, 100 * 2 ** (a - 1));
    t.ok(d >= exp / 2 && d <= exp, `attempt ${a}: ${d} in [${exp / 2}, ${exp}]`);
  }
});
