// /api/v1/videos: submit, follow (get, events), cancel, download and delete video jobs.
import { defineRoute } from "../http/route.js";
import { pageSchema } from "../http/pagination.js";
import { sendOutput } from "../jobs/download.js";
import { streamEvents } from "../jobs/events.js";
import { IdParams } from "../schemas/common.js";
import { EventsQuery, GenerateBody, GenerateHeaders, JobSchema, ListJobsQuery } from "../schemas/jobs.js";
import { z } from "../schemas/zod.js";

const tags = ["videos"];
const read = { roles: ["admin", "user", "viewer"] as const, scope: "jobs:read" as const };
const write = { roles: ["admin", "user"] as const, scope: "jobs:write" as const };

export function videoRoutes(draining: () => boolean) {
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/videos/generate",
      operationId: "videos.generate",
      summary: "Submit a video generation job",
      description:
        "Plans the job (preset and defaults, validation, cost estimate, budget) and queues it: 202 with the job and a Location header. " +
        "With `Prefer: wait=N` (N <= 60) the answer waits up to N seconds and is 201 when the job finished by then. " +
        "With `Idempotency-Key`, the same key and body return the same job for 24 h; another body is 422; a request still in flight is 409. " +
        "Over budget: 402 (the refused job is recorded as failed).",
      tags,
      auth: write,
      resourceType: "video_job",
      body: GenerateBody,
      headers: GenerateHeaders,
      otherResponses: [
        { status: 201, description: "Finished within Prefer: wait" },
        { status: 402, description: "Over your monthly budget (budget_exceeded)" },
        { status: 409, description: "Idempotency-Key in flight (idempotency_key_in_use)" },
      ],
      response: { status: 202, description: "Queued (or finished, 201)", schema: JobSchema },
      handler: async (ctx) => {
        const out = await ctx.services.jobs.submit(ctx.req, ctx.principal, ctx.body, ctx.headers["idempotency-key"], ctx.headers.prefer);
        for (const [k, v] of Object.entries(out.headers)) ctx.res.setHeader(k, v);
        ctx.status = out.status;
        return out.body;
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/videos",
      operationId: "videos.list",
      summary: "List your video jobs, newest first (filter by state and project)",
      tags,
      auth: read,
      query: ListJobsQuery,
      response: { status: 200, description: "A page of jobs", schema: pageSchema(JobSchema, "VideoJobPage") },
      handler: ({ query, principal, services }) => services.jobs.list(principal, query),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/videos/:id",
      operationId: "videos.get",
      summary: "A job: state, progress, queue position, stage, timings, costs, error",
      tags,
      auth: read,
      params: IdParams,
      response: { status: 200, description: "The job", schema: JobSchema },
      handler: ({ params, principal, services }) => services.jobs.get(principal, params.id),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/videos/:id/cancel",
      operationId: "videos.cancel",
      summary: "Cancel a job (queued: at once; running: the worker stops within one step); cancelled jobs are not charged",
      tags,
      auth: write,
      resourceType: "video_job",
      params: IdParams,
      otherResponses: [{ status: 409, description: "Already finished in another state, or being stored" }],
      response: { status: 200, description: "The job (status cancelled, or still running with its cancel requested)", schema: JobSchema },
      handler: ({ params, principal, services }) => services.jobs.cancel(principal, params.id),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/videos/:id/download",
      operationId: "videos.download",
      summary: "The MP4 (Range requests supported)",
      tags,
      auth: read,
      params: IdParams,
      raw: true,
      otherResponses: [
        { status: 206, description: "Partial content (Range)", contentType: "video/mp4" },
        { status: 409, description: "The job has no output (not completed)" },
        { status: 410, description: "The output's retention ended (gone)" },
        { status: 416, description: "Range not satisfiable" },
      ],
      response: { status: 200, description: "The video", schema: z.string().openapi({ format: "binary" }), contentType: "video/mp4" },
      handler: async ({ req, res, params, principal, services }) => {
        const job = await services.jobs.row(principal, params.id);
        const result = await services.repos.workers.result(job.id);
        await sendOutput(req, res, job, result?.output_path);
        return undefined;
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/videos/:id/events",
      operationId: "videos.events",
      summary: "Server-Sent Events: state (with ids; resume with Last-Event-ID), progress, done",
      tags,
      auth: read,
      params: IdParams,
      query: EventsQuery,
      raw: true,
      rateLimited: true,
      response: { status: 200, description: "text/event-stream", schema: z.string(), contentType: "text/event-stream" },
      handler: async ({ req, res, params, query, principal, services }) => {
        const header = req.headers["last-event-id"];
        const fromHeader = typeof header === "string" && /^\d{1,15}$/.test(header.trim()) ? Number(header.trim()) : undefined;
        const c = services.config.jobs;
        await streamEvents(req, res, principal.user.id, params.id, services.repos.jobs, services.jobs, { pollMs: Math.min(250, c.pollMs), keepAliveMs: 15_000, maxPerUser: c.sseMaxPerUser, draining }, fromHeader ?? query.last_event_id ?? 0);
        return undefined;
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/videos/:id",
      operationId: "videos.delete",
      summary: "Delete a finished job and its video (billing records stay)",
      tags,
      auth: write,
      resourceType: "video_job",
      params: IdParams,
      otherResponses: [{ status: 409, description: "The job has not finished; cancel it first" }],
      response: { status: 204, description: "Deleted" },
      handler: async ({ params, principal, services }) => {
        await services.jobs.delete(principal, params.id);
        return undefined;
      },
    }),
  ];
}
