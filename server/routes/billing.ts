// Costs and billing: estimates, pricing tiers, invoices, budgets, device profiles.
import { PRICING_TIERS, VOLUME_DISCOUNTS } from "../billing/pricing.js";
import { defineRoute } from "../http/route.js";
import { notFound } from "../http/problem.js";
import { resolveParams } from "../jobs/planner.js";
import { BudgetSchema, DeviceParams, DeviceProfileBody, EstimateBody, EstimateSchema, InvoiceBody, InvoiceSchema, SetBudgetBody, TiersSchema } from "../schemas/billing.js";
import { IdParams } from "../schemas/common.js";
import { GenerateBody } from "../schemas/jobs.js";

const tags = ["billing"];
const read = { roles: ["admin", "user", "viewer"] as const, scope: "jobs:read" as const };
const admin = { roles: ["admin"] as const, scope: "admin" as const };

export const billingRoutes = [
  defineRoute({
    method: "post",
    path: "/api/v1/estimate-cost",
    operationId: "billing.estimateCost",
    summary: "Estimate a generation's work, GPU-seconds and price (per tier)",
    tags,
    auth: read,
    body: EstimateBody,
    rateLimited: true,
    response: { status: 200, description: "The estimate", schema: EstimateSchema },
    handler: async ({ body, principal, services }) => {
      let preset: Record<string, unknown> | undefined;
      if (body.preset_id) {
        const p = await services.repos.presets.findVisible(principal.user.id, body.preset_id);
        if (!p) throw notFound("Preset");
        preset = p.params as Record<string, unknown>;
      }
      const { device, ...rest } = body;
      const params = resolveParams(GenerateBody.parse({ ...rest, prompt: rest.prompt }), preset);
      const e = await services.costs.estimate(params, body.tier, device);
      return { params, ...e };
    },
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/pricing/tiers",
    operationId: "billing.tiers",
    summary: "Pricing tiers (price per GPU-second) and volume discounts",
    tags,
    auth: { public: true },
    response: { status: 200, description: "Tiers", schema: TiersSchema },
    handler: async () => ({ currency_unit: "micro-units of the account currency (1,000,000 = 1)", tiers: [...PRICING_TIERS] as never, volume_discounts: [...VOLUME_DISCOUNTS] }),
  }),
  defineRoute({
    method: "post",
    path: "/api/v1/billing/calculate",
    operationId: "billing.calculate",
    summary: "Invoice for a period: per-job lines, volume discount, totals",
    tags,
    auth: read,
    body: InvoiceBody,
    response: { status: 200, description: "The invoice", schema: InvoiceSchema },
    handler: ({ body, principal, services }) => services.billing.invoice(principal, body),
  }),
  defineRoute({
    method: "get",
    path: "/api/v1/billing/budget",
    operationId: "billing.budget",
    summary: "Your monthly budget and this month's spend",
    tags,
    auth: read,
    response: { status: 200, description: "Budget", schema: BudgetSchema },
    handler: ({ principal, services }) => services.billing.budget(principal.user.id),
  }),
  defineRoute({
    method: "put",
    path: "/api/v1/admin/users/:id/budget",
    operationId: "admin.setBudget",
    summary: "Set or remove a user's monthly budget (jobs over it are refused at planning)",
    tags: ["admin"],
    auth: admin,
    resourceType: "budget",
    params: IdParams,
    body: SetBudgetBody,
    response: { status: 200, description: "Budget", schema: BudgetSchema },
    handler: async ({ params, body, services }) => {
      if (!(await services.repos.users.findById(params.id))) throw notFound("User");
      await services.billing.setBudget(params.id, body.monthly_limit_micros);
      return services.billing.budget(params.id);
    },
  }),
  defineRoute({
    method: "put",
    path: "/api/v1/admin/device-profiles/:device",
    operationId: "admin.setDeviceProfile",
    summary: "Store a device's measured throughput (from `aiprod bench`) for cost estimates",
    tags: ["admin"],
    auth: admin,
    resourceType: "device_profile",
    params: DeviceParams,
    body: DeviceProfileBody,
    response: { status: 204, description: "Stored" },
    handler: async ({ params, body, services }) => {
      await services.repos.billing.upsertProfile({ device: params.device, transformer_tflops: body.transformer_tflops, vae_tflops: body.vae_tflops, overhead_seconds: body.overhead_seconds });
      return undefined;
    },
  }),
];
