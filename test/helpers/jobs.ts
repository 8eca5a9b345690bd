// Shared pieces of the video-job tests: a server with in-process workers on the synthetic backend, small
// generation parameters, and polling helpers.
import type { Database } from "../../server/db/knex.js";
import type { WorkerDeps } from "../../server/worker/worker.js";
import { openEmbedded, startTestServer, type TestDatabase, type TestServer, type Client } from "./server.js";
import { SyntheticBackend, type SyntheticOptions } from "./syntheticBackend.js";

/** Fast queue timings for tests (leases in seconds, polls in tens of milliseconds). */
export const FAST_JOBS_ENV: Record<string, string> = {
  JOB_POLL_MS: "50",
  JOB_CANCEL_POLL_MS: "50",
  JOB_LEASE_MS: "2000",
  JOB_HEARTBEAT_MS: "400",
  JOB_RETRY_BASE_MS: "50",
  JOB_RETRY_MAX_MS: "200",
  WEBHOOK_RETRY_SCALE: "0.01",
  WEBHOOK_TIMEOUT_MS: "2000",
};

export const SMALL = { prompt: "a red fox running through snow", pipeline: "ti2vid_one_stage", width: 64, height: 64, num_frames: 9, fps: 8, steps: 4 } as const;

export interface JobServer extends TestServer {
  backend: SyntheticBackend;
}

export async function startJobServer(db: Database, env: Record<string, string> = {}, backend: SyntheticOptions = {}, qa?: WorkerDeps["qa"]): Promise<JobServer> {
  const b = new SyntheticBackend(backend);
  const ts = await startTestServer(db, { ...FAST_JOBS_ENV, ...env }, { backend: b, qa });
  return { ...ts, backend: b };
}

/** A job server on a fresh database, both stopped when test `t` ends (the setup every jobs test shares). */
export async function jobServerFor(t: { teardown(fn: () => Promise<void>): void }, open: () => Promise<TestDatabase>,
  env: Record<string, string> = {}, backend: SyntheticOptions = {}): Promise<{ tdb: TestDatabase; ts: JobServer }> {
  const tdb = await open();
  const ts = await startJobServer(tdb.db, env, backend);
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
  });
  return { tdb, ts };
}

/** An embedded database and a server whose in-process workers run `backend` (e.g. the library's pipelines), both
 * stopped at teardown. */
export async function backendJobServer(t: { teardown(fn: () => Promise<void>): void }, backend: WorkerDeps["backend"]): Promise<{ tdb: TestDatabase; ts: TestServer }> {
  const tdb = await openEmbedded();
  const ts = await startTestServer(tdb.db, FAST_JOBS_ENV, { backend });
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
  });
  return { tdb, ts };
}

export async function waitForJob(client: Client, token: string, id: string, done: (job: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await client.get(`/api/v1/videos/${id}`, { token });
    if (r.status !== 200) throw new Error(`GET job ${id}: ${r.status} ${r.text}`);
    if (done(r.body)) return r.body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${r.body.status} (${r.body.progress}%) after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export const finished = (j: { status: string }) => ["completed", "failed", "cancelled", "expired"].includes(j.status);
