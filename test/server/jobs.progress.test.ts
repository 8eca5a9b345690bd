// A job's progress is the backend's share of the whole job's work, with an ETA, in the job and its SSE events.
import t from "tap";
import { SMALL, finished, jobServerFor, waitForJob } from "../helpers/jobs.js";
import { openEmbedded } from "../helpers/server.js";

t.test("progress and ETA in the job and its events", async (t) => {
  // 30 steps of 100 ms: a 3 s job whose ETA the backend knows at every step.
  const { ts } = await jobServerFor(t, openEmbedded, {}, { steps: 30, stepMs: 100, work: true });
  const u = await ts.client.user();
  const id = (await ts.client.post("/api/v1/videos/generate", SMALL, { token: u.access })).body.id as string;
  const events = fetch(`${ts.url}/api/v1/videos/${id}/events`, { headers: { authorization: `Bearer ${u.access}` } }).then((r) => r.text());
  const running = await waitForJob(ts.client, u.access, id, (j) => j.status === "processing" && j.progress >= 30, 30_000);
  t.ok(running.eta_seconds !== null && running.eta_seconds > 0 && running.eta_seconds <= 3, `running at ${running.progress}%: ETA ${running.eta_seconds} s`);
  const later = await waitForJob(ts.client, u.access, id, (j) => j.status === "processing" && j.progress >= 70, 30_000);
  t.ok(later.eta_seconds !== null && later.eta_seconds < running.eta_seconds, `later at ${later.progress}%: ETA ${later.eta_seconds} s`);
  const done = await waitForJob(ts.client, u.access, id, finished, 30_000);
  t.equal(done.status, "completed");
  t.equal(done.eta_seconds, null, "no ETA once finished");
  const sse = (await events).split("\n\n").filter((b) => b.includes("event: progress")).map((b) => JSON.parse(b.split("data: ")[1]!));
  const withEta = sse.filter((e) => e.eta_seconds !== null && e.eta_seconds !== undefined);
  t.ok(withEta.length >= 2, `${withEta.length} progress events carry an ETA`);
  t.ok(withEta.every((e, i) => i === 0 || e.progress >= withEta[i - 1].progress), "progress only goes up");
});
