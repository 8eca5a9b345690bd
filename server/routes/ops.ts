// Job statistics, alerts, uploads and the webhook signing secret.
import { defineRoute } from "../http/route.js";
import { AlertsSchema, StatsQuery, StatsSchema } from "../schemas/billing.js";
import { IdParams } from "../schemas/common.js";
import { z } from "../schemas/zod.js";

const read = { roles: ["admin", "user", "viewer"] as const, scope: "jobs:read" as const };
const write = { roles: ["admin", "user"] as const, scope: "jobs:write" as const };

const UploadSchema = z
  .object({ id: z.uuid(), kind: z.enum(["image", "lora"]), content_type: z.string(), bytes: z.number().int(), sha256: z.string(), created_at: z.string() })
  .openapi("Upload");
const SecretSchema = z.object({ secret: z.string(), algorithm: z.literal("Standard Webhooks v1 (HMAC-SHA256)") }).openapi("WebhookSecret");

export const opsRoutes = [
  defineRoute({
    method: "get",
    path: "/api/v1/jobs/stats",
    operationId: "jobs.stats",
    summary: "Job counts by state, throughput, queue wait and run time percentiles, cost per day (yours; everything for admins)",
    tags: ["videos"],
    auth: read,
    query: StatsQuery,
    response: { status: 200, description: "Statistics", schema: StatsSchema },
    handler: ({ query, principal, services }) => services.ops.stats(principal, query.period),
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/alerts",
    operationId: "ops.alerts",
    summary: "Active alerts: queue wait, error rate, spend spike, workers missing heartbeats",
    tags: ["admin"],
    auth: { roles: ["admin"] as const, scope: "admin" as const },
    response: { status: 200, description: "Alerts", schema: AlertsSchema },
    handler: ({ services }) => services.ops.alerts(),
  }),
  defineRoute({
    method: "post",
    path: "/api/v1/uploads",
    operationId: "uploads.create",
    summary: "Upload a conditioning image (image/png, image/jpeg, image/webp) or a LoRA (application/octet-stream, safetensors); size-limited",
    description: "Send the file either as the raw body with its own Content-Type, or as the file part of a multipart/form-data form (`curl -F file=@first.png`): the part with a filename, or the one named `file`.",
    tags: ["videos"],
    auth: write,
    resourceType: "upload",
    query: z.object({ kind: z.enum(["image", "lora"]) }).strict(),
    raw: true,
    rawBody: {
      description: "The file: raw bytes (kind=image: image/png, image/jpeg or image/webp; kind=lora: application/octet-stream), or a multipart/form-data form with the file part",
      content: {
        ...Object.fromEntries(["image/png", "image/jpeg", "image/webp", "application/octet-stream"].map((t) => [t, { schema: { type: "string", format: "binary" } }])),
        "multipart/form-data": { schema: { type: "object", properties: { file: { type: "string", format: "binary" } }, required: ["file"] } },
      },
    },
    otherResponses: [
      { status: 413, description: "Larger than UPLOAD_MAX_BYTES" },
      { status: 415, description: "Not an image or safetensors file of the declared type" },
    ],
    response: { status: 201, description: "The upload", schema: UploadSchema },
    handler: async ({ req, res, query, principal, services }) => {
      const u = await services.uploads.receive(req, principal, query.kind);
      await services.audit.recordRequest(req, 201);
      res.status(201).json(u);
      return undefined;
    },
  }),
  defineRoute({
    method: "delete",
    path: "/api/v1/uploads/:id",
    operationId: "uploads.delete",
    summary: "Delete one of your uploads",
    tags: ["videos"],
    auth: write,
    resourceType: "upload",
    params: IdParams,
    response: { status: 204, description: "Deleted" },
    handler: async ({ params, principal, services }) => {
      await services.uploads.delete(principal, params.id);
      return undefined;
    },
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/webhooks/secret",
    operationId: "webhooks.secret",
    summary: "Your webhook signing secret (whsec_...): verify deliveries with Standard Webhooks",
    tags: ["videos"],
    auth: { roles: ["admin", "user"] as const },
    response: { status: 200, description: "The secret", schema: SecretSchema },
    handler: async ({ principal, services }) => ({ secret: await services.repos.webhooks.secretFor(principal.user.id), algorithm: "Standard Webhooks v1 (HMAC-SHA256)" as const }),
  }),
  defineRoute({
    method: "post",
    path: "/api/v1/webhooks/secret/rotate",
    operationId: "webhooks.rotateSecret",
    summary: "Replace your webhook signing secret",
    tags: ["videos"],
    auth: { roles: ["admin", "user"] as const },
    resourceType: "webhook_secret",
    response: { status: 200, description: "The new secret", schema: SecretSchema },
    handler: async ({ principal, services }) => ({ secret: await services.repos.webhooks.rotateSecret(principal.user.id), algorithm: "Standard Webhooks v1 (HMAC-SHA256)" as const }),
  }),
];
