// Costs and billing, statistics, alerts, metrics and uploads: estimate-cost from the work model, pricing tiers,
// invoices with volume discounts, budgets refused at planning, stats (own vs all), alerts, Prometheus metrics,
// uploads with size and type limits used as conditioning.
import t from "tap";
import { estimateWork, gpuSeconds, DEFAULT_PROFILE } from "../../server/billing/costModel.js";
import { volumeDiscount } from "../../server/billing/pricing.js";
import { GenerationParamsSchema } from "../../server/schemas/generationParams.js";
import { ADMIN_EMAIL, ADMIN_PASSWORD, DATABASES } from "../helpers/server.js";
import { SMALL, finished, jobServerFor, waitForJob } from "../helpers/jobs.js";

t.test("work model", async (t) => {
  const p = GenerationParamsSchema.parse({ pipeline: "ti2vid_one_stage", prompt: "x", width: 768, height: 512, num_frames: 121, steps: 40 });
  const w = estimateWork(p, 10);
  t.equal(w.latent_tokens, 24 * 16 * 16);
  t.equal(w.guidance_passes, 2, "CFG by default");
  const double = estimateWork({ ...p, steps: 80 }, 10);
  t.ok(Math.abs(double.transformer_flops / w.transformer_flops - 2) < 1e-9, "linear in steps");
  const distilled = estimateWork(GenerationParamsSchema.parse({ pipeline: "distilled", prompt: "x", width: 768, height: 512, num_frames: 121 }), 10);
  t.ok(distilled.transformer_flops < w.transformer_flops / 4, "the distilled pipeline is much cheaper");
  t.ok(gpuSeconds(w, DEFAULT_PROFILE) > gpuSeconds(w, { ...DEFAULT_PROFILE, transformer_tflops: 800 }), "a faster device takes less time");
  t.same(volumeDiscount(50_000_000), { percent: 0, amount_micros: 0 });
  t.same(volumeDiscount(2_000_000_000), { percent: 10, amount_micros: 200_000_000 });
});

for (const { name, open } of DATABASES) {
  t.test(`billing and operations on ${name}`, async (t) => {
    const { tdb, ts } = await jobServerFor(t, open, { UPLOAD_MAX_BYTES: "4096" }, { stepMs: 5 });
    const c = ts.client;
    const knex = tdb.db.knex;
    const u = await c.user();
    const admin = await c.login(ADMIN_EMAIL, ADMIN_PASSWORD);

    const tiers = await c.get("/api/v1/pricing/tiers");
    t.equal(tiers.status, 200);
    t.same(tiers.body.tiers.map((x: any) => x.id), ["batch", "standard", "priority"]);

    const est = await c.post("/api/v1/estimate-cost", { prompt: "a cat", pipeline: "ti2vid_one_stage", width: 768, height: 512, num_frames: 121, tier: "priority" }, { token: u.access });
    t.equal(est.status, 200, est.text);
    t.equal(est.body.profile_measured, false, "no measured profile yet: the default");
    const byTier = Object.fromEntries(est.body.by_tier.map((x: any) => [x.tier, x.cost_micros]));
    t.ok(byTier.batch < byTier.standard && byTier.standard < byTier.priority);
    t.equal(est.body.cost_micros, byTier.priority);
    // A measured device profile changes the estimate.
    t.equal((await c.req("PUT", "/api/v1/admin/device-profiles/cuda:H100", { token: admin.access, body: { transformer_tflops: 800, vae_tflops: 300, overhead_seconds: 1 } })).status, 204);
    t.equal((await c.req("PUT", "/api/v1/admin/device-profiles/cuda:H100", { token: u.access, body: { transformer_tflops: 800, vae_tflops: 300 } })).status, 403);
    const est2 = await c.post("/api/v1/estimate-cost", { prompt: "a cat", pipeline: "ti2vid_one_stage", width: 768, height: 512, num_frames: 121, tier: "priority", device: "cuda:H100" }, { token: u.access });
    t.equal(est2.body.profile_measured, true);
    t.ok(est2.body.gpu_seconds < est.body.gpu_seconds);

    // Completed jobs are charged; an invoice lists them.
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await c.post("/api/v1/videos/generate", { ...SMALL, seed: 300 + i }, { token: u.access })).body.id);
    for (const id of ids) t.equal((await waitForJob(c, u.access, id, finished)).status, "completed");
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const inv = await c.post("/api/v1/billing/calculate", { from, to }, { token: u.access });
    t.equal(inv.status, 200, inv.text);
    t.equal(inv.body.jobs_charged, 2);
    t.same(new Set(inv.body.lines.map((l: any) => l.job_id)), new Set(ids));
    t.equal(inv.body.subtotal_micros, inv.body.lines.reduce((s: number, l: any) => s + l.amount_micros, 0));
    t.equal(inv.body.total_micros, inv.body.subtotal_micros - inv.body.discount_micros);
    const other = await c.user();
    t.equal((await c.post("/api/v1/billing/calculate", { from, to, user_id: u.id }, { token: other.access })).status, 403, "no invoices of others");
    t.equal((await c.post("/api/v1/billing/calculate", { from, to, user_id: u.id }, { token: admin.access })).body.jobs_charged, 2, "admins can");
    t.equal((await c.post("/api/v1/billing/calculate", { from: to, to: from }, { token: u.access })).status, 422);

    // Budget: refused at planning, recorded as failed, not charged.
    const spent = inv.body.subtotal_micros as number;
    t.equal((await c.req("PUT", `/api/v1/admin/users/${u.id}/budget`, { token: admin.access, body: { monthly_limit_micros: spent + 1 } })).status, 200);
    const refused = await c.post("/api/v1/videos/generate", { ...SMALL, seed: 400 }, { token: u.access });
    t.equal(refused.status, 402, refused.text);
    t.equal(refused.body.code, "budget_exceeded");
    const fj = await c.get(`/api/v1/videos/${refused.body.job_id}`, { token: u.access });
    t.equal(fj.body.status, "failed");
    t.equal(fj.body.error.code, "billing.budget_exceeded");
    t.same((await knex("job_events").where({ job_id: refused.body.job_id }).orderBy("id").pluck("to_status")), ["received", "planning", "failed"]);
    t.equal((await knex("billing_transactions").where({ job_id: refused.body.job_id })).length, 0);
    const budget = await c.get("/api/v1/billing/budget", { token: u.access });
    t.equal(budget.body.monthly_limit_micros, spent + 1);
    t.equal(budget.body.spent_this_month_micros, spent);
    await c.req("PUT", `/api/v1/admin/users/${u.id}/budget`, { token: admin.access, body: { monthly_limit_micros: null } });

    // Stats: own for users, everything for admins.
    const mine = await c.get("/api/v1/jobs/stats?period=day", { token: u.access });
    t.equal(mine.status, 200, mine.text);
    t.equal(mine.body.scope, "own");
    t.equal(mine.body.counts_by_state.completed, 2);
    t.equal(mine.body.counts_by_state.failed, 1);
    t.ok(mine.body.run_seconds.p50 > 0 && mine.body.queue_wait_seconds.p95 !== null);
    t.equal(mine.body.cost_total_micros, spent);
    const theirs = await c.get("/api/v1/jobs/stats", { token: other.access });
    t.same(theirs.body.counts_by_state, {});
    t.equal((await c.get("/api/v1/jobs/stats", { token: admin.access })).body.scope, "all");

    // Alerts: admins only; a spend spike and an error rate show up when the data says so.
    t.equal((await c.get("/api/v1/alerts", { token: u.access })).status, 403);
    const quiet = await c.get("/api/v1/alerts", { token: admin.access });
    t.equal(quiet.status, 200);
    t.notOk(quiet.body.alerts.some((a: any) => a.id === "spend_spike"));
    await knex("billing_transactions").insert({ user_id: other.id, kind: "adjustment", amount_micros: 1000, created_at: new Date(Date.now() - 5 * 86_400_000) });
    for (let i = 0; i < 6; i++) {
      await knex("jobs").insert({ user_id: other.id, status: "failed", params: { pipeline: "distilled" }, error_code: "x", completed_at: new Date() });
    }
    const loud = await c.get("/api/v1/alerts", { token: admin.access });
    t.ok(loud.body.alerts.some((a: any) => a.id === "spend_spike"), "spend spike");
    t.ok(loud.body.alerts.some((a: any) => a.id === "error_rate"), "error rate");

    // Metrics.
    const m = await c.get("/metrics", { token: admin.access });
    t.match(m.text, /aiprod_jobs\{state="completed"\} 2/);
    t.match(m.text, /aiprod_jobs_finished_total\{pipeline="ti2vid_one_stage",status="completed",error_code=""\} 2/);
    t.match(m.text, /aiprod_job_queue_seconds_count\{pipeline="ti2vid_one_stage"\} 2/);
    t.match(m.text, /aiprod_job_stage_seconds_count\{stage="denoise"\}/);
    t.match(m.text, /aiprod_gpu_seconds_total\{pipeline="ti2vid_one_stage",device="default"\}/);
    t.match(m.text, /aiprod_cost_micros_total\{tier="standard"\} \d+/);

    // Uploads: type by content, size limit, ownership, used as conditioning.
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);
    const up = await fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: { authorization: `Bearer ${u.access}`, "content-type": "image/png" }, body: png });
    t.equal(up.status, 201);
    const upload = (await up.json()) as { id: string; bytes: number };
    t.equal(upload.bytes, png.length);
    const fake = await fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: { authorization: `Bearer ${u.access}`, "content-type": "image/png" }, body: Buffer.from("not a png at all") });
    t.equal(fake.status, 415);
    const big = await fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: { authorization: `Bearer ${u.access}`, "content-type": "image/png" }, body: Buffer.concat([png, Buffer.alloc(5000)]) });
    t.equal(big.status, 413);
    const withImage = await c.post("/api/v1/videos/generate", { ...SMALL, images: [{ upload_id: upload.id, frame_index: 0, strength: 1 }] }, { token: u.access });
    t.equal(withImage.status, 202, withImage.text);
    t.equal((await waitForJob(c, u.access, withImage.body.id, finished)).status, "completed");
    const notMine = await c.post("/api/v1/videos/generate", { ...SMALL, images: [{ upload_id: upload.id }] }, { token: other.access });
    t.equal(notMine.status, 404, "another user's upload is not found");
    const outOfRange = await c.post("/api/v1/videos/generate", { ...SMALL, images: [{ upload_id: upload.id, frame_index: 20 }] }, { token: u.access });
    t.equal(outOfRange.status, 422);
    t.equal((await c.del(`/api/v1/uploads/${upload.id}`, { token: other.access })).status, 404);
    t.equal((await c.del(`/api/v1/uploads/${upload.id}`, { token: u.access })).status, 204);
  });
}
