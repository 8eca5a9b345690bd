// GET /api/v1/videos/{id}/events: Server-Sent Events. `state` events carry the job_events id as their SSE id, so
// a client that reconnects with Last-Event-ID gets every transition after it; `progress` events (no id) carry
// progress, stage and queue position; `done` carries the final job and ends the stream. A comment line every
// 15 s keeps proxies from closing an idle stream. Connections per user are limited per instance.
import type { Request, Response } from "express";
import { ApiError } from "../http/problem.js";
import type { JobsRepository } from "../repositories/jobsRepository.js";
import type { JobService } from "../services/jobService.js";
import { isFinished } from "./stateMachine.js";
import { jobView } from "./view.js";

const open = new Map<string, number>();
/** Open streams per user on this instance (tests read it). */
export const openStreams: ReadonlyMap<string, number> = open;

export interface StreamOptions {
  pollMs: number;
  keepAliveMs: number;
  maxPerUser: number;
  draining: () => boolean;
}

export async function streamEvents(req: Request, res: Response, userId: string, jobId: string, jobs: JobsRepository, service: JobService, o: StreamOptions, lastEventId: number): Promise<void> {
  let job = await jobs.findOwned(userId, jobId);
  if (!job) throw new ApiError(404, "not_found", "Job not found");
  const n = open.get(userId) ?? 0;
  if (n >= o.maxPerUser) throw new ApiError(429, "quota_exceeded", `At most ${o.maxPerUser} event streams per user`, {}, { "Retry-After": "5" });
  open.set(userId, n + 1);
  let closed = false;
  req.on("close", () => (closed = true));
  // A client that disconnected during the lookup above has already emitted 'close': without this check the loop
  // polled the database until the job finished (hours for a queued one) and held one of the user's slots.
  // res.destroyed, not req.destroyed: a request whose (empty) body was read is destroyed while its client is
  // still connected.
  if (res.destroyed) closed = true;
  try {
    res.status(200);
    res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
    res.setHeader("Cache-Control", "no-store, no-transform");
    res.setHeader("X-Accel-Buffering", "no");
    res.flushHeaders();
    const send = (event: string, data: unknown, id?: number) => res.write(`${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.write("retry: 2000\n\n");
    let last = lastEventId;
    let lastProgress = "";
    let lastKeepAlive = Date.now();
    while (!closed && !res.destroyed) {
      const events = await jobs.eventsAfter(jobId, last);
      for (const e of events) {
        send("state", { job_id: jobId, from: e.from_status, to: e.to_status, attempt: e.attempt, reason: e.details.reason ?? null, at: new Date(e.created_at).toISOString() }, Number(e.id));
        last = Number(e.id);
      }
      job = await jobs.findOwned(userId, jobId);
      if (!job) {
        send("deleted", { job_id: jobId });
        break;
      }
      const view = await service.view(job);
      const eta = view.eta_seconds === null ? null : Math.round(view.eta_seconds);
      const p = JSON.stringify([view.status, view.progress, view.stage, view.queue_position, eta]);
      if (p !== lastProgress) {
        send("progress", { job_id: jobId, status: view.status, progress: view.progress, stage: view.stage, queue_position: view.queue_position, eta_seconds: view.eta_seconds });
        lastProgress = p;
      }
      if (isFinished(job.status) && events.length < 100) {
        // Every transition up to the final one has been sent (events are read before the job row).
        const rest = await jobs.eventsAfter(jobId, last);
        if (!rest.length) {
          send("done", jobView(job));
          break;
        }
        continue;
      }
      if (o.draining()) {
        res.write("event: shutdown\ndata: {}\n\n");
        break;
      }
      if (Date.now() - lastKeepAlive >= o.keepAliveMs) {
        res.write(": keep-alive\n\n");
        lastKeepAlive = Date.now();
      }
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
  } catch {
    // The database went away mid-stream, or the socket did: end the stream; the client resumes with Last-Event-ID.
  } finally {
    // Entries at 0 are removed, or the map grew by one entry per user that ever opened a stream.
    const left = (open.get(userId) ?? 1) - 1;
    if (left > 0) open.set(userId, left);
    else open.delete(userId);
    if (!res.writableEnded) res.end();
  }
}
