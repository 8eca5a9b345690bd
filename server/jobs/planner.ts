// Planning: the request plus its preset and the pipeline defaults become validated generation parameters; the
// conditioning uploads and the project must be the caller's; the cost is estimated; the budget is checked.
import { existsSync } from "node:fs";
import type { Knex } from "knex";
import type { Principal } from "../http/context.js";
import { ApiError, notFound, validationError } from "../http/problem.js";
import type { BillingRepository } from "../repositories/billingRepository.js";
import type { JobsRepository } from "../repositories/jobsRepository.js";
import type { UploadsRepository } from "../repositories/uploadsRepository.js";
import { DEFAULT_PIPELINE, GenerationParamsSchema, type GenerationParams } from "../schemas/generationParams.js";
import type { GenerateInput } from "../schemas/jobs.js";
import type { CostEstimate, CostService } from "../services/costService.js";
import { lockUserSubmissions } from "./quotas.js";

export { DEFAULT_PIPELINE };

export interface Plan {
  params: GenerationParams;
  stored: Record<string, unknown>;
  estimate: CostEstimate;
}

const GENERATION_KEYS = ["pipeline", "prompt", "negative_prompt", "enhance_prompt", "width", "height", "num_frames", "fps", "steps", "seed", "video_guidance", "audio_guidance"] as const;

/** Preset params, overridden by the request's fields, validated by the pipeline schema. */
export function resolveParams(body: GenerateInput, preset: Record<string, unknown> | undefined): GenerationParams {
  const merged: Record<string, unknown> = { ...(preset ?? {}) };
  for (const k of GENERATION_KEYS) if (body[k] !== undefined) merged[k] = body[k];
  merged.pipeline ??= DEFAULT_PIPELINE;
  const r = GenerationParamsSchema.safeParse(merged);
  if (!r.success) throw validationError(r.error.issues, "body");
  return r.data;
}

export class Planner {
  constructor(
    private readonly db: Knex,
    private readonly jobs: JobsRepository,
    private readonly billing: BillingRepository,
    private readonly uploads: UploadsRepository,
    private readonly costs: CostService,
    /** Path of a LoRA installed on the server, by name. */
    private readonly loraPath: (name: string) => string,
  ) {}

  /** Everything that needs no lock: parameters, references, estimate. Errors are 404/422 before any job exists. */
  async prepare(who: Principal, body: GenerateInput): Promise<Plan> {
    let preset: Record<string, unknown> | undefined;
    if (body.preset_id) {
      const row = (await this.db("presets")
        .where({ id: body.preset_id })
        .andWhere((q) => q.where({ user_id: who.user.id }).orWhere({ is_public: true }))
        .first()) as { params: Record<string, unknown> } | undefined;
      if (!row) throw notFound("Preset");
      preset = row.params;
    }
    if (body.project_id && !(await this.db("projects").where({ id: body.project_id, user_id: who.user.id }).first())) throw notFound("Project");
    const params = resolveParams(body, preset);
    const uploadIds = [...(body.images ?? []).map((i) => i.upload_id), ...(body.loras ?? []).flatMap((l) => (l.upload_id ? [l.upload_id] : []))];
    if (uploadIds.length) {
      const found = await this.uploads.findManyOwned(who.user.id, uploadIds);
      for (const id of uploadIds) if (!found.some((u) => u.id === id)) throw notFound(`Upload ${id}`);
      for (const i of body.images ?? []) {
        if (found.find((u) => u.id === i.upload_id)?.kind !== "image") throw new ApiError(422, "validation_failed", `upload ${i.upload_id} is not an image`);
        if (i.frame_index >= params.num_frames) throw new ApiError(422, "validation_failed", `images: frame_index ${i.frame_index} is beyond num_frames ${params.num_frames}`);
      }
      for (const l of body.loras ?? []) {
        if (l.upload_id && found.find((u) => u.id === l.upload_id)?.kind !== "lora") throw new ApiError(422, "validation_failed", `upload ${l.upload_id} is not a LoRA`);
      }
    }
    for (const l of body.loras ?? []) if (l.name && !existsSync(this.loraPath(l.name))) throw notFound(`LoRA ${l.name}`);
    const stored: Record<string, unknown> = { ...params };
    if (body.images?.length) stored.images = body.images;
    if (body.loras?.length) stored.loras = body.loras;
    const estimate = await this.costs.estimate(params, body.tier);
    return { params, stored, estimate };
  }

  /**
   * Inside the submitting transaction: the month's spend plus the estimates of unfinished jobs plus this one must
   * stay within the user's budget. Serialized per user (advisory lock) so concurrent submissions cannot overshoot.
   */
  async overBudget(trx: Knex.Transaction, userId: string, estimateMicros: number): Promise<{ limit: number; committed: number } | undefined> {
    await lockUserSubmissions(trx, userId);
    const limit = await this.billing.budget(userId, trx);
    if (limit === undefined) return undefined;
    const monthStart = new Date();
    monthStart.setUTCDate(1);
    monthStart.setUTCHours(0, 0, 0, 0);
    const committed = (await this.billing.spentSince(userId, monthStart, trx)) + (await this.jobs.openEstimates(trx, userId));
    return committed + estimateMicros > limit ? { limit, committed } : undefined;
  }
}
