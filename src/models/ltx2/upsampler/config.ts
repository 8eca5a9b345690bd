// The latent upsampler's configuration: the upsampler file's own `__metadata__.config` (upstream
// upsampler/model_configurator.py, whose defaults are the LTX-2 spatial ×2 model's).
import { AiprodError } from "../../../native/errors.js";

export interface LatentUpsamplerConfig {
  readonly inChannels: number;
  readonly midChannels: number;
  readonly numBlocksPerStage: number;
  readonly spatialUpsample: boolean;
  readonly temporalUpsample: boolean;
}

function bad(key: string, problem: string): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.ltx2.upsampler: config.${key} ${problem}`);
}

function positiveInt(r: Record<string, unknown>, key: string, fallback: number): number {
  const v = r[key] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw bad(key, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function flag(r: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = r[key] ?? fallback;
  if (typeof v !== "boolean") throw bad(key, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function parseLatentUpsamplerConfig(raw: unknown): LatentUpsamplerConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new AiprodError("ERR_AIPROD_BAD_CONFIG", "aiprod.ltx2.upsampler: the upsampler file's config is missing or not an object");
  }
  const r = raw as Record<string, unknown>;
  if ((r.dims ?? 3) !== 3) throw bad("dims", `is ${JSON.stringify(r.dims)}; only the 3-D upsampler (every released LTX-2 one) is implemented`);
  if (flag(r, "rational_resampler", false)) throw bad("rational_resampler", "is true; the ×1.5 rational resampler is not implemented");
  const spatialUpsample = flag(r, "spatial_upsample", true);
  const temporalUpsample = flag(r, "temporal_upsample", false);
  if (!spatialUpsample && !temporalUpsample) throw bad("spatial_upsample", "and temporal_upsample are both false; one must be true");
  if (spatialUpsample && !temporalUpsample && (r.spatial_scale ?? 2) !== 2) throw bad("spatial_scale", `is ${JSON.stringify(r.spatial_scale)}; only 2 is implemented`);
  const midChannels = positiveInt(r, "mid_channels", 512);
  if (midChannels % 32 !== 0) throw bad("mid_channels", `is ${midChannels}; GroupNorm(32) needs a multiple of 32`);
  return {
    inChannels: positiveInt(r, "in_channels", 128),
    midChannels,
    numBlocksPerStage: positiveInt(r, "num_blocks_per_stage", 4),
    spatialUpsample,
    temporalUpsample,
  };
}
