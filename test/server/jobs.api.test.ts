// /api/v1/videos end to end on both databases, with in-process workers on the synthetic backend: submit, follow,
// download (Range, 410 after expiry), events (SSE, resumed with Last-Event-ID), list (filter, cursor), delete,
// and authorization (another user's job is 404 everywhere).
import t from "tap";
import { DATABASES } from "../helpers/server.js";
import { SMALL, finished, jobServerFor, waitForJob } from "../helpers/jobs.js";

/** Reads an SSE stream until `done` (or the time is up); returns the parsed events. */
async function readSse(url: string, token: string, lastEventId?: string, timeoutMs = 20_000) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (lastEventId) headers["last-event-id"] = lastEventId;
  const r = await fetch(url, { headers, signal: ac.signal });
  const events: Array<{ id?: string; event: string; data: any }> = [];
  const text = await r.text().catch(() => "");
  clearTimeout(timer);
  for (const block of text.split("\n\n")) {
    const lines = block.split("\n").filter((l) => l && !l.startsWith(":"));
    const ev: { id?: string; event?: string; data?: string } = {};
    for (const l of lines) {
      const i = l.indexOf(": ");
      const k = l.slice(0, i);
      const v = l.slice(i + 2);
      if (k === "id") ev.id = v;
      if (k === "event") ev.event = v;
      if (k === "data") ev.data = v;
    }
    if (ev.event) events.push({ id: ev.id, event: ev.event, data: JSON.parse(ev.data ?? "null") });
  }
  return { status: r.status, type: r.headers.get("content-type"), events };
}

for (const { name, open } of DATABASES) {
  t.test(`video jobs API on ${name}`, async (t) => {
    const { tdb, ts } = await jobServerFor(t, open, { OUTPUT_TTL_HOURS: "1" });
    const c = ts.client;
    const alice = await c.user();
    const bob = await c.user();

    const sub = await c.post("/api/v1/videos/generate", SMALL, { token: alice.access });
    t.equal(sub.status, 202, sub.text);
    t.equal(sub.headers.get("location"), `/api/v1/videos/${sub.body.id}`);
    t.equal(sub.body.object, "video.job");
    t.ok(["approved", "processing", "qa_check", "finalizing", "completed"].includes(sub.body.status));
    t.ok(sub.body.cost.estimated_micros > 0, "estimated cost on submit");
    const id = sub.body.id as string;

    const job = await waitForJob(c, alice.access, id, finished);
    t.equal(job.status, "completed", JSON.stringify(job.error));
    t.equal(job.progress, 100);
    t.same(job.result && [job.result.width, job.result.height, job.result.frames], [64, 64, 9]);
    t.ok(job.cost.actual_micros > 0 && job.cost.gpu_seconds > 0, "actual cost and GPU-seconds recorded");
    t.ok(job.timings.run_seconds !== null && job.timings.queue_seconds !== null);
    t.ok(job.expires_at, "the output has an expiry");

    // Every transition is an event, in order.
    const knex = tdb.db.knex;
    const evs = await knex("job_events").where({ job_id: id }).orderBy("id").select("from_status", "to_status");
    t.same(evs.map((e: any) => e.to_status), ["received", "planning", "approved", "processing", "qa_check", "finalizing", "completed"]);
    const charges = await knex("billing_transactions").where({ job_id: id });
    t.equal(charges.length, 1, "one charge");
    t.equal(Number(charges[0].amount_micros), job.cost.actual_micros);

    // Download, whole and by range.
    const whole = await fetch(`${ts.url}/api/v1/videos/${id}/download`, { headers: { authorization: `Bearer ${alice.access}` } });
    t.equal(whole.status, 200);
    t.equal(whole.headers.get("content-type"), "video/mp4");
    t.equal(whole.headers.get("accept-ranges"), "bytes");
    const bytes = Buffer.from(await whole.arrayBuffer());
    t.equal(bytes.length, job.result.bytes);
    t.equal(bytes.subarray(4, 8).toString("latin1"), "ftyp", "an MP4");
    const part = await fetch(`${ts.url}/api/v1/videos/${id}/download`, { headers: { authorization: `Bearer ${alice.access}`, range: "bytes=10-99" } });
    t.equal(part.status, 206);
    t.equal(part.headers.get("content-range"), `bytes 10-99/${bytes.length}`);
    t.same(Buffer.from(await part.arrayBuffer()), bytes.subarray(10, 100));
    const tail = await fetch(`${ts.url}/api/v1/videos/${id}/download`, { headers: { authorization: `Bearer ${alice.access}`, range: "bytes=-16" } });
    t.equal(tail.status, 206);
    t.same(Buffer.from(await tail.arrayBuffer()), bytes.subarray(bytes.length - 16));
    const bad = await fetch(`${ts.url}/api/v1/videos/${id}/download`, { headers: { authorization: `Bearer ${alice.access}`, range: `bytes=${bytes.length + 5}-` } });
    t.equal(bad.status, 416);
    t.equal(bad.headers.get("content-range"), `bytes */${bytes.length}`);

    // SSE: the whole history, then a resume after the third event.
    const all = await readSse(`${ts.url}/api/v1/videos/${id}/events`, alice.access);
    t.equal(all.status, 200);
    t.match(all.type, /text\/event-stream/);
    const states = all.events.filter((e) => e.event === "state");
    t.same(states.map((e) => e.data.to), ["received", "planning", "approved", "processing", "qa_check", "finalizing", "completed"]);
    t.equal(all.events[all.events.length - 1]?.event, "done");
    t.equal(all.events[all.events.length - 1]?.data.status, "completed");
    const resumed = await readSse(`${ts.url}/api/v1/videos/${id}/events`, alice.access, states[2]?.id);
    t.same(resumed.events.filter((e) => e.event === "state").map((e) => e.data.to), ["processing", "qa_check", "finalizing", "completed"], "Last-Event-ID resumes after that event");

    // Bob sees none of it.
    for (const [method, path] of [
      ["GET", `/api/v1/videos/${id}`],
      ["POST", `/api/v1/videos/${id}/cancel`],
      ["GET", `/api/v1/videos/${id}/download`],
      ["GET", `/api/v1/videos/${id}/events`],
      ["DELETE", `/api/v1/videos/${id}`],
    ] as const) {
      const r = await c.req(method, path, { token: bob.access });
      t.equal(r.status, 404, `${method} ${path} for another user`);
    }
    const bobList = await c.get("/api/v1/videos", { token: bob.access });
    t.same(bobList.body.data, []);

    // List: filter and cursor pagination.
    const more = [];
    for (let i = 0; i < 3; i++) more.push((await c.post("/api/v1/videos/generate", { ...SMALL, seed: 100 + i }, { token: alice.access })).body.id);
    for (const m of more) await waitForJob(c, alice.access, m, finished);
    const p1 = await c.get("/api/v1/videos?limit=2", { token: alice.access });
    t.equal(p1.body.data.length, 2);
    t.equal(p1.body.has_more, true);
    const p2 = await c.get(`/api/v1/videos?limit=2&cursor=${encodeURIComponent(p1.body.next_cursor)}`, { token: alice.access });
    t.equal(p2.body.data.length, 2);
    t.equal(p2.body.has_more, false);
    t.same(new Set([...p1.body.data, ...p2.body.data].map((j: any) => j.id)), new Set([id, ...more]));
    const filtered = await c.get("/api/v1/videos?status=failed,cancelled", { token: alice.access });
    t.same(filtered.body.data, []);
    const badFilter = await c.get("/api/v1/videos?status=bogus", { token: alice.access });
    t.equal(badFilter.status, 422);

    // Expiry: the retention ends -> the sweeper expires it -> 410.
    await knex("jobs").where({ id }).update({ expires_at: new Date(Date.now() - 1000) });
    const gone = await c.get(`/api/v1/videos/${id}/download`, { token: alice.access });
    t.equal(gone.status, 410);
    await ts.server.pool.tick();
    const expired = await c.get(`/api/v1/videos/${id}`, { token: alice.access });
    t.equal(expired.body.status, "expired");
    t.equal((await c.get(`/api/v1/videos/${id}/download`, { token: alice.access })).status, 410);

    // Delete removes the job; billing history stays.
    const del = await c.del(`/api/v1/videos/${id}`, { token: alice.access });
    t.equal(del.status, 204);
    t.equal((await c.get(`/api/v1/videos/${id}`, { token: alice.access })).status, 404);
    t.equal((await knex("billing_transactions").where({ user_id: alice.id }).whereNull("job_id")).length, 1, "the charge stays, unlinked");

    // Limits and validation.
    t.equal((await c.post("/api/v1/videos/generate", { ...SMALL, prompt: "x".repeat(4001) }, { token: alice.access })).status, 422, "prompt length");
    t.equal((await c.post("/api/v1/videos/generate", { ...SMALL, num_frames: 10 }, { token: alice.access })).status, 422, "frames 8k+1");
    t.equal((await c.post("/api/v1/videos/generate", { ...SMALL, width: 8192 }, { token: alice.access })).status, 422, "dimensions");
    t.equal((await c.post("/api/v1/videos/generate", { ...SMALL, webhook_url: `https://example.com/${"a".repeat(2100)}` }, { token: alice.access })).status, 422, "webhook URL length");
    t.equal((await c.post("/api/v1/videos/generate", { ...SMALL, images: Array.from({ length: 9 }, () => ({ upload_id: "6f1c1f3e-8f0e-4a43-9d55-0a0f3b8a0c11" })) }, { token: alice.access })).status, 422, "image count");
    const lora = await c.post("/api/v1/videos/generate", { ...SMALL, loras: [{ name: "missing.safetensors" }] }, { token: alice.access });
    t.equal(lora.status, 404, "a LoRA by a name the server does not have");
    t.equal((await c.post("/api/v1/videos/generate", { ...SMALL, loras: [{ name: "../../etc/passwd" }] }, { token: alice.access })).status, 422, "no paths in LoRA names");
    const viewer = await c.user("viewer");
    t.equal((await c.post("/api/v1/videos/generate", SMALL, { token: viewer.access })).status, 403, "viewers cannot submit");
    t.equal((await c.post("/api/v1/videos/generate", SMALL)).status, 401);
  });
}
