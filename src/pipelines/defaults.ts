// Upstream defaults (ltx_pipelines/utils/constants.py) that are not per-generation sampling params, and the one
// place where the library, the CLI and the HTTP API get their defaults for a request.
import { detectParams } from "../models/ltx2/components/pipelineParams.js";
import { type PipelineName, TWO_STAGE } from "./types.js";

/** The pipeline of a request that names none (library, CLI and API alike): the recommended, fastest one. */
export const DEFAULT_PIPELINE: PipelineName = "distilled";

/** The smallest frame count: upstream's num_frames = 8k + 1 with k >= 0. */
export const MIN_FRAMES = 1;

/**
 * Upstream's defaults for one pipeline and model generation: the output size is stage 1's for the one-stage
 * pipeline and twice it for the two-stage ones (default_2_stage_arg_parser: stage_2_height/width).
 */
export function generationDefaults(pipeline: PipelineName, modelVersion?: string): { width: number; height: number; numFrames: number; frameRate: number; seed: number } {
  const d = detectParams(modelVersion);
  const k = TWO_STAGE.has(pipeline) ? 2 : 1;
  return { width: d.stage1Width * k, height: d.stage1Height * k, numFrames: d.numFrames, frameRate: d.frameRate, seed: d.seed };
}

/** DEFAULT_NEGATIVE_PROMPT of the guided pipelines. */
export const DEFAULT_NEGATIVE_PROMPT =
  "has_subtitles, has_blurbox, transition from black, transition to black, speech_ending_short, " +
  "blurry, out of focus, overexposed, underexposed, low contrast, washed out colors, excessive noise, " +
  "grainy texture, poor lighting, flickering, motion blur, distorted proportions, unnatural skin tones, " +
  "deformed facial features, asymmetrical face, missing facial features, extra limbs, disfigured hands, " +
  "wrong hand count, artifacts around text, inconsistent perspective, camera shake, incorrect depth of " +
  "field, background too sharp, background clutter, distracting reflections, harsh shadows, inconsistent " +
  "lighting direction, color banding, cartoonish rendering, 3D CGI look, unrealistic materials, uncanny " +
  "valley effect, incorrect ethnicity, wrong gender, exaggerated expressions, wrong gaze direction, " +
  "mismatched lip sync, silent or muted audio, distorted voice, robotic voice, echo, background noise, " +
  "off-sync audio, incorrect dialogue, added dialogue, repetitive speech, jittery movement, awkward " +
  "pauses, incorrect timing, unnatural transitions, inconsistent framing, tilted camera, flat lighting, " +
  "inconsistent tone, cinematic oversaturation, stylized filters, or AI artifacts.";
