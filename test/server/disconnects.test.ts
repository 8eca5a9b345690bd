// Clients that leave before (or while) a streaming handler runs: the download, the upload and the event stream
// must settle, close their files and give back their slots. Each handler here runs behind a real HTTP server
// and starts only once its client has disconnected, as when auth and database lookups come first.
import { mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express, { type Request, type Response } from "express";
import type { Knex } from "knex";
import t from "tap";
import type { JobsConfig } from "../../server/config.js";
import type { Principal } from "../../server/http/context.js";
import { ApiError } from "../../server/http/problem.js";
import { sendOutput } from "../../server/jobs/download.js";
import { openStreams, streamEvents } from "../../server/jobs/events.js";
import { Storage } from "../../server/jobs/storage.js";
import type { JobRow, JobsRepository } from "../../server/repositories/jobsRepository.js";
import type { UploadsRepository } from "../../server/repositories/uploadsRepository.js";
import type { JobService } from "../../server/services/jobService.js";
import { UploadService } from "../../server/services/uploadService.js";
import { sleep } from "../../server/util/sleep.js";
import { within } from "../helpers/within.js";

/** This process's open descriptors on files under `dir` (from /proc/self/fd). */
function openUnder(dir: string): string[] {
  const real = realpathSync(dir);
  const out: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(real)) out.push(target);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

/** Polls until no descriptor is open on a file under `dir` (descriptors close asynchronously); what is left. */
async function closedUnder(dir: string, ms = 2000): Promise<string[]> {
  const deadline = Date.now() + ms;
  while (openUnder(dir).length && Date.now() < deadline) await sleep(20);
  return openUnder(dir);
}

/** Listens on a free loopback port; closed (with any connection left) at teardown. */
async function listen(t: { teardown(fn: () => Promise<void> | void): void }, app: ReturnType<typeof express>): Promise<number> {
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as AddressInfo).port;
}

/**
 * An HTTP server whose one route waits for its client to disconnect, then runs `handler` (whose promise the
 * test gets). Closed at teardown.
 */
async function serverFor(t: { teardown(fn: () => Promise<void> | void): void }, handler: (req: Request, res: Response) => Promise<unknown>) {
  let arrived!: () => void;
  const arrivedP = new Promise<void>((r) => (arrived = r));
  let handled!: (h: { p: Promise<unknown> }) => void;
  const handledP = new Promise<{ p: Promise<unknown> }>((r) => (handled = r));
  const app = express();
  app.all("/x", async (req, res) => {
    arrived();
    if (!res.destroyed) await new Promise((r) => res.once("close", r));
    const p = handler(req, res);
    handled({ p });
    await p.catch(() => undefined);
  });
  return { port: await listen(t, app), arrived: arrivedP, handled: handledP };
}

t.test("download: a client gone before the handler reaches the file: settles, the file is closed", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-download-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "out.mp4");
  writeFileSync(file, Buffer.alloc(4 * 1024 * 1024, 7)); // larger than any socket buffer
  const job = { id: "0b5c1d4e-0000-4000-8000-000000000001", status: "completed", expires_at: null } as unknown as JobRow;
  const s = await serverFor(t, (req, res) => sendOutput(req, res, job, file));
  const c = request({ port: s.port, host: "127.0.0.1", path: "/x", headers: { range: "bytes=0-" } });
  c.on("error", () => undefined);
  c.end();
  await s.arrived;
  c.destroy(); // the player aborted its Range request
  const r = await within((await s.handled).p);
  t.equal(r.outcome, "settled", "sendOutput settled");
  t.same(await closedUnder(dir), [], "the file's descriptor is closed");
});

t.test("download to a connected client still serves the range", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-download-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "out.mp4");
  writeFileSync(file, Buffer.from("0123456789"));
  const job = { id: "0b5c1d4e-0000-4000-8000-000000000002", status: "completed", expires_at: null } as unknown as JobRow;
  const app = express();
  app.get("/x", (req, res) => void sendOutput(req, res, job, file));
  const port = await listen(t, app);
  const r = await fetch(`http://127.0.0.1:${port}/x`, { headers: { range: "bytes=2-5" } });
  t.equal(r.status, 206);
  t.equal(await r.text(), "2345");
});

t.test("upload", async (t) => {
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);
  /** An upload service on its own data directory (limit 4096 bytes) and the folder its uploads land in. */
  const setup = (t: { teardown(fn: () => void): void }) => {
    const dir = mkdtempSync(join(tmpdir(), "aiprod-upload-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const who = { user: { id: "7d3f0a52-0000-4000-8000-000000000001" } } as unknown as Principal;
    const repo = { insert: async (r: Record<string, unknown>) => ({ ...r, created_at: new Date() }), bytesOf: async () => 0 } as unknown as UploadsRepository;
    const db = { transaction: async (fn: (trx: unknown) => unknown) => fn({ raw: async () => undefined }) } as unknown as Knex;
    const service = new UploadService(db, repo, new Storage(dir), { uploadMaxBytes: 4096, uploadQuotaBytesPerUser: 1 << 30 } as JobsConfig);
    return { dir, userDir: join(dir, "uploads", who.user.id), receive: (req: Request) => service.receive(req, who, "image") };
  };

  await t.test("from a request destroyed before the handler read it: settles with an error, no .part file", async (t) => {
    const { dir, userDir, receive } = setup(t);
    const s = await serverFor(t, receive);
    const c = request({ port: s.port, host: "127.0.0.1", path: "/x", method: "POST", headers: { "content-type": "image/png", "transfer-encoding": "chunked" } });
    c.on("error", () => undefined);
    c.write(png.subarray(0, 50));
    await s.arrived;
    c.destroy();
    const r = await within((await s.handled).p);
    t.equal(r.outcome, "rejected", "receive() settled with an error");
    t.match(r.error, { status: 400, code: "bad_request" });
    t.same(readdirSync(userDir), [], "no .part file left");
    t.same(await closedUnder(dir), [], "the .part file's descriptor is closed");
  });

  // The paths that already worked, through the new pipeline: interrupted mid-body, too large, accepted.
  const direct = async (t: { teardown(fn: () => Promise<void> | void): void }, handler: (req: Request, res: Response) => Promise<unknown>) => {
    let handled!: (h: { p: Promise<unknown> }) => void;
    const handledP = new Promise<{ p: Promise<unknown> }>((r) => (handled = r));
    const app = express();
    app.post("/x", async (req, res) => {
      req.audit = {} as Request["audit"];
      const p = handler(req, res);
      handled({ p });
      try {
        res.json(await p);
      } catch (e) {
        res.status((e as ApiError).status ?? 500).end();
      }
    });
    const port = await listen(t, app);
    return { port, handled: handledP };
  };

  await t.test("interrupted mid-body: 400, no .part file", async (t) => {
    const { userDir, receive } = setup(t);
    const s = await direct(t, receive);
    const c = request({ port: s.port, host: "127.0.0.1", path: "/x", method: "POST", headers: { "content-type": "image/png", "transfer-encoding": "chunked" } });
    c.on("error", () => undefined);
    c.write(png.subarray(0, 50));
    const { p } = await s.handled;
    await sleep(50);
    c.destroy();
    const r = await within(p);
    t.equal(r.outcome, "rejected");
    t.match(r.error, { status: 400, code: "bad_request" });
    t.same(readdirSync(userDir), []);
  });

  await t.test("over the limit without a Content-Length: payload_too_large, no .part file", async (t) => {
    const { userDir, receive } = setup(t);
    const s = await direct(t, receive);
    const c = request({ port: s.port, host: "127.0.0.1", path: "/x", method: "POST", headers: { "content-type": "image/png", "transfer-encoding": "chunked" } });
    c.on("error", () => undefined);
    const status = new Promise<number | undefined>((r) => c.on("response", (m) => r(m.statusCode)));
    const closed = new Promise((r) => c.on("close", r));
    c.write(png);
    const { p } = await s.handled;
    for (let i = 0; i < 8; i++) c.write(Buffer.alloc(1024, 2));
    const r = await within(p);
    t.equal(r.outcome, "rejected");
    t.ok(r.error instanceof ApiError, "an ApiError");
    t.match(r.error, { status: 413, code: "payload_too_large" });
    t.same(readdirSync(userDir), []);
    t.equal(await status, 413, "the client still gets the 413");
    t.equal((await within(closed, 2000)).outcome, "settled", "and the server closes the connection (its body is left unread)");
    c.destroy();
  });

  await t.test("a whole upload is stored", async (t) => {
    const { userDir, receive } = setup(t);
    const s = await direct(t, receive);
    const r = await fetch(`http://127.0.0.1:${s.port}/x`, { method: "POST", headers: { "content-type": "image/png" }, body: png });
    t.equal(r.status, 200);
    const body = (await r.json()) as { id: string; bytes: number };
    t.equal(body.bytes, png.length);
    t.same(readdirSync(userDir), [body.id], "the file, renamed from its .part");
  });
});

t.test("event stream", async (t) => {
  const userId = "5e9a7c10-0000-4000-8000-000000000001";
  const job = { id: "1a2b3c4d-0000-4000-8000-000000000001", user_id: userId, status: "approved" } as unknown as JobRow;
  const service = { view: async () => ({ status: "approved", progress: 0, stage: "queued", queue_position: 0 }) } as unknown as JobService;
  let draining = false;
  t.teardown(() => {
    draining = true; // ends a loop that never noticed its client leaving
  });
  const options = { pollMs: 20, keepAliveMs: 60_000, maxPerUser: 1, draining: () => draining };

  await t.test("a client gone during the job lookup: the stream ends at once and frees its slot", async (t) => {
    let polls = 0;
    let gone!: Promise<unknown>;
    const jobs = {
      findOwned: async () => {
        await gone; // the client disconnects while the first lookup is in flight
        return job;
      },
      eventsAfter: async () => {
        polls += 1;
        return [];
      },
    } as unknown as JobsRepository;
    let arrived!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    let handled!: (h: { p: Promise<unknown> }) => void;
    const handledP = new Promise<{ p: Promise<unknown> }>((r) => (handled = r));
    const app = express();
    app.get("/x", (req, res) => {
      gone = new Promise((r) => res.once("close", r));
      arrived();
      handled({ p: streamEvents(req, res, userId, job.id, jobs, service, options, 0) });
    });
    const port = await listen(t, app);
    const c = request({ port, host: "127.0.0.1", path: "/x" });
    c.on("error", () => undefined);
    c.end();
    await arrivedP;
    c.destroy();
    const r = await within((await handledP).p, 1000);
    t.equal(r.outcome, "settled", "streamEvents returned");
    t.ok(polls <= 1, `the database is not polled for a client that left (${polls} polls)`);
    t.equal(openStreams.has(userId), false, "the user's slot is free and the entry removed");
  });

  await t.test("a stream whose client leaves mid-stream removes the user's entry", async (t) => {
    const jobs = { findOwned: async () => job, eventsAfter: async () => [] } as unknown as JobsRepository;
    let handled!: (h: { p: Promise<unknown> }) => void;
    const handledP = new Promise<{ p: Promise<unknown> }>((r) => (handled = r));
    const app = express();
    app.get("/x", (req, res) => handled({ p: streamEvents(req, res, userId, job.id, jobs, service, options, 0) }));
    const port = await listen(t, app);
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/x`, { signal: ac.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    t.match(new TextDecoder().decode((await reader.read()).value), /retry: 2000|event: progress/);
    const { p } = await handledP;
    t.equal(openStreams.get(userId), 1, "one stream open");
    ac.abort();
    const r = await within(p, 1000);
    t.equal(r.outcome, "settled");
    t.equal(openStreams.has(userId), false, "no entry left at 0");
  });
});
