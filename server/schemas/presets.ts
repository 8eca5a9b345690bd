// /api/v1/presets bodies: params are checked by the pipeline parameter schema.
import type { PresetRow } from "../repositories/presetsRepository.js";
import { Description, Name, Timestamp, iso } from "./common.js";
import { GenerationParamsSchema } from "./generationParams.js";
import { z } from "./zod.js";

export const CreatePresetBody = z
  .object({ name: Name, description: Description.optional(), params: GenerationParamsSchema, is_public: z.boolean().default(false) })
  .strict()
  .openapi("CreatePresetRequest");

export const PresetListQuery = z.object({ scope: z.enum(["all", "own", "public"]).default("all") });

export const PresetSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    params: z.record(z.string(), z.unknown()).openapi({ description: "GenerationParams, as stored" }),
    is_public: z.boolean(),
    owned: z.boolean().openapi({ description: "whether the caller owns it" }),
    created_at: Timestamp,
  })
  .openapi("Preset");

export const presetView = (p: PresetRow, callerId: string): z.infer<typeof PresetSchema> => ({
  id: p.id,
  name: p.name,
  description: p.description,
  params: p.params as unknown as Record<string, unknown>,
  is_public: p.is_public,
  owned: p.user_id === callerId,
  created_at: iso(p.created_at) as string,
});
