// Per-generation default sampling parameters (upstream `ltx_pipelines/utils/constants.py`: LTX_2_PARAMS,
// LTX_2_3_PARAMS, LTX_2_4_PARAMS, LTX_2_3_HQ_PARAMS, detect_params).
import type { GuiderParams } from "./guiders.js";

export interface PipelineParams {
  seed: number;
  stage1Height: number;
  stage1Width: number;
  numFrames: number;
  frameRate: number;
  numInferenceSteps: number;
  /** H.264 CRF image conditionings are re-compressed at (33 up to 2.3, 18 from 2.4). */
  defaultImageCrf: number;
  video: Readonly<GuiderParams>;
  audio: Readonly<GuiderParams>;
}

function guider(cfgScale: number, stgScale: number, rescaleScale: number, modalityScale: number, stgBlocks: number[]): Readonly<GuiderParams> {
  return Object.freeze({ cfgScale, stgScale, rescaleScale, modalityScale, skipStep: 0, stgBlocks: Object.freeze(stgBlocks) });
}

function params(p: PipelineParams): Readonly<PipelineParams> {
  return Object.freeze(p);
}

const BASE = { seed: 10, stage1Height: 512, stage1Width: 768, numFrames: 121, frameRate: 24, defaultImageCrf: 33 };

/** LTX-2.0 (19B) defaults; also the fallback for unversioned checkpoints. */
export const LTX_2_PARAMS = params({ ...BASE, numInferenceSteps: 40, video: guider(3, 1, 0.7, 3, [29]), audio: guider(7, 1, 0.7, 3, [29]) });
/** LTX-2.3: 30 steps, STG on block 28. */
export const LTX_2_3_PARAMS = params({ ...LTX_2_PARAMS, numInferenceSteps: 30, video: guider(3, 1, 0.7, 3, [28]), audio: guider(7, 1, 0.7, 3, [28]) });
/** LTX-2.4: the 2.3 knobs with image CRF 18. */
export const LTX_2_4_PARAMS = params({ ...LTX_2_3_PARAMS, defaultImageCrf: 18 });
/** HQ preset (res_2s sampler): 15 steps at 1088×1920 output, STG off. */
export const LTX_2_3_HQ_PARAMS = params({
  ...BASE, numInferenceSteps: 15, stage1Height: 1088 / 2, stage1Width: 1920 / 2,
  video: guider(3, 0, 0.45, 3, []), audio: guider(7, 0, 1, 3, []),
});

/**
 * `parse_model_version` after `detect_model_version`'s "-" → "." normalization: leading dot-separated integer
 * components ("2.3.rc1" → [2, 3]); unset or non-numeric → [] (below every real version).
 */
export function parseModelVersion(version: string | undefined): number[] {
  if (!version) return [];
  const parts: number[] = [];
  for (const part of version.replace(/-/g, ".").split(".")) {
    if (!/^[0-9]+$/.test(part)) break;
    parts.push(Number(part));
  }
  return parts;
}

/** Python tuple comparison a >= b. */
function versionAtLeast(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return a.length >= b.length;
}

const PARAMS_SINCE_VERSION: readonly [readonly number[], Readonly<PipelineParams>][] = [
  [[2, 4], LTX_2_4_PARAMS],
  [[2, 3], LTX_2_3_PARAMS],
];

/** Params for a checkpoint's `model_version` metadata: the newest generation at or below it; absent → 2.0. */
export function detectParams(modelVersion?: string): Readonly<PipelineParams> {
  const parsed = parseModelVersion(modelVersion);
  for (const [since, p] of PARAMS_SINCE_VERSION) if (versionAtLeast(parsed, since)) return p;
  return LTX_2_PARAMS;
}
