// Submitting: Idempotency-Key (20 concurrent POSTs -> one job; same key, other body -> 422; in flight -> 409;
// refused requests do not consume the key) and Prefer: wait=N. Both databases.
import t from "tap";
import { DATABASES } from "../helpers/server.js";
import { SMALL, finished, jobServerFor, waitForJob } from "../helpers/jobs.js";

for (const { name, open } of DATABASES) {
  t.test(`submit semantics on ${name}`, async (t) => {
    const { tdb, ts } = await jobServerFor(t, open, { RATE_LIMIT_PER_MINUTE: "100000" });
    const c = ts.client;
    const knex = tdb.db.knex;
    const u = await c.user();

    // 20 concurrent POSTs with one key: one job; every answer is that job (202, possibly replayed) or a 409.
    const key = "3f2b9c1e-7a5d-4c1b-9e2f-0a6d8b4c2e11";
    const answers = await Promise.all(Array.from({ length: 20 }, () => c.post("/api/v1/videos/generate", SMALL, { token: u.access, headers: { "idempotency-key": key } })));
    const jobs = await knex("jobs").where({ user_id: u.id });
    t.equal(jobs.length, 1, "one job");
    for (const a of answers) {
      t.ok(a.status === 202 || a.status === 201 || a.status === 409, `status ${a.status}`);
      if (a.status !== 409) t.equal(a.body.id, jobs[0].id);
      else t.equal(a.body.code, "idempotency_key_in_use");
    }
    t.equal(answers.filter((a) => a.status !== 409 && a.headers.get("idempotent-replayed") !== "true").length, 1, "one original answer");
    // After it settled: a replay.
    const replay = await c.post("/api/v1/videos/generate", SMALL, { token: u.access, headers: { "idempotency-key": key } });
    t.equal(replay.status, 202);
    t.equal(replay.body.id, jobs[0].id);
    t.equal(replay.headers.get("idempotent-replayed"), "true");
    // Same key, another body: 422.
    const other = await c.post("/api/v1/videos/generate", { ...SMALL, seed: 7 }, { token: u.access, headers: { "idempotency-key": key } });
    t.equal(other.status, 422);
    t.equal(other.body.code, "idempotency_key_mismatch");
    // Keys are per user: another user with the same key gets their own job.
    const v = await c.user();
    const theirs = await c.post("/api/v1/videos/generate", SMALL, { token: v.access, headers: { "idempotency-key": key } });
    t.equal(theirs.status, 202);
    t.not(theirs.body.id, jobs[0].id);
    // A refused request does not consume its key.
    const key2 = "b0b3d1c2-0c8e-4b7e-a0f4-2f4b9b1c0d22";
    t.equal((await c.post("/api/v1/videos/generate", { ...SMALL, num_frames: 12 }, { token: u.access, headers: { "idempotency-key": key2 } })).status, 422);
    t.equal((await c.post("/api/v1/videos/generate", SMALL, { token: u.access, headers: { "idempotency-key": key2 } })).status, 202);
    // An in-flight key (as another instance would have left it) is a 409.
    const key3 = "c1d2e3f4-0000-4000-8000-000000000033";
    const { createHash } = await import("node:crypto");
    const fp = createHash("sha256").update("POST /api/v1/videos/generate\n").update(JSON.stringify({ ...SMALL, priority: 0, tier: "standard" })).digest("hex");
    await knex("idempotency_keys").insert({ user_id: u.id, key: key3, fingerprint: fp, status: "in_progress", expires_at: new Date(Date.now() + 60_000) });
    const busy = await c.post("/api/v1/videos/generate", SMALL, { token: u.access, headers: { "idempotency-key": key3 } });
    t.equal(busy.status, 409);
    t.equal(busy.headers.get("retry-after"), "1");
    t.equal((await c.post("/api/v1/videos/generate", SMALL, { token: u.access, headers: { "idempotency-key": "short" } })).status, 422, "key syntax checked");
    // An in-progress key abandoned by a crashed instance (older than 5 minutes) is taken over.
    await knex("idempotency_keys").where({ user_id: u.id, key: key3 }).update({ created_at: new Date(Date.now() - 301_000) });
    t.equal((await c.post("/api/v1/videos/generate", SMALL, { token: u.access, headers: { "idempotency-key": key3 } })).status, 202);

    // A preset supplies the parameters; the request's fields override it.
    const preset = await c.post("/api/v1/presets", { name: "tiny", params: { ...SMALL, prompt: undefined, fps: 16, seed: 99 } }, { token: u.access });
    t.equal(preset.status, 201, preset.text);
    const fromPreset = await c.post("/api/v1/videos/generate", { prompt: "from a preset", preset_id: preset.body.id, seed: 5 }, { token: u.access });
    t.equal(fromPreset.status, 202, fromPreset.text);
    t.same([fromPreset.body.params.fps, fromPreset.body.params.seed, fromPreset.body.params.width, fromPreset.body.params.prompt], [16, 5, 64, "from a preset"]);
    const otherUser = await c.user();
    t.equal((await c.post("/api/v1/videos/generate", { prompt: "x", preset_id: preset.body.id }, { token: otherUser.access })).status, 404, "another user's private preset");

    // Prefer: wait=N
    const waited = await c.post("/api/v1/videos/generate", { ...SMALL, seed: 11 }, { token: u.access, headers: { prefer: "wait=30" } });
    t.equal(waited.status, 201, waited.text);
    t.equal(waited.body.status, "completed");
    t.equal(waited.headers.get("preference-applied"), "wait=30");
    const capped = await c.post("/api/v1/videos/generate", { ...SMALL, seed: 12 }, { token: u.access, headers: { prefer: "respond-async, wait=600" } });
    t.equal(capped.headers.get("preference-applied"), "wait=60", "capped at 60 s");
    t.equal(capped.status, 201);
    const slow = await c.post("/api/v1/videos/generate", { ...SMALL, steps: 60, seed: 13 }, { token: u.access, headers: { prefer: "wait=1" } });
    t.equal(slow.status, 202, "not finished within 1 s: 202 with the current state");
    t.notOk(finished(slow.body));
    await c.post(`/api/v1/videos/${slow.body.id}/cancel`, undefined, { token: u.access });
    await waitForJob(c, u.access, slow.body.id, finished);
  });
}
