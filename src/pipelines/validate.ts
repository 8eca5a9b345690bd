// Request validation, run on the calling thread before any weights load: every problem is reported with the
// parameter it concerns, and every default is filled in from the model's generation (detectParams).
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { AiprodError } from "../native/errors.js";
import { audioLatentFrames } from "../models/ltx2/audio/duration.js";
import { detectParams } from "../models/ltx2/components/pipelineParams.js";
import { MultiModalGuider } from "../models/ltx2/components/guiders.js";
import { DEFAULT_NEGATIVE_PROMPT, DEFAULT_PIPELINE, generationDefaults, MIN_FRAMES } from "./defaults.js";
import type { ModelInfo } from "./modelFiles.js";
import { DISTILLED_SCHEDULE, type GenerateParams, PIPELINES, type ResolvedImage, type ResolvedParams, TWO_STAGE } from "./types.js";

export function invalid(message: string): AiprodError {
  return new AiprodError("ERR_AIPROD_INVALID_REQUEST", `aiprod.generate: ${message}`);
}

function int(v: unknown, name: string, min: number): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw invalid(`${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

function unit(v: unknown, name: string): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw invalid(`${name} must be a number in [0, 1], got ${String(v)}`);
  return v;
}

/** Checks `p` against the pipeline's rules and the loaded models; returns the request with every default resolved. */
export function resolveParams(request: GenerateParams, models: ModelInfo): ResolvedParams {
  if (!request || typeof request !== "object") throw invalid("params must be an object");
  const p = { ...request, pipeline: request.pipeline ?? DEFAULT_PIPELINE };
  if (!PIPELINES.includes(p.pipeline)) throw invalid(`unknown pipeline '${String(p.pipeline)}'; choose one of ${PIPELINES.join(", ")}`);
  if (typeof p.prompt !== "string" || p.prompt.trim() === "") throw invalid("prompt must be a non-empty string");
  const defaults = detectParams(models.modelVersion);
  const twoStage = TWO_STAGE.has(p.pipeline);
  const multiple = twoStage ? 64 : 32;
  const sized = generationDefaults(p.pipeline, models.modelVersion);
  const width = p.width ?? sized.width;
  const height = p.height ?? sized.height;
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    int(v, name, multiple);
    if (v % multiple !== 0) throw invalid(`${name} ${v} must be a multiple of ${multiple}${twoStage ? ` (${p.pipeline} generates at half size, then upsamples ×2)` : ""}`);
  }
  const frames = int(p.numFrames ?? defaults.numFrames, "numFrames", MIN_FRAMES);
  if ((frames - 1) % 8 !== 0) throw invalid(`numFrames must be 8k+1 (1, 9, 17, …, 121), got ${frames}`);
  const fps = p.fps ?? defaults.frameRate;
  if (typeof fps !== "number" || !(fps >= 1 && fps <= 240)) throw invalid(`fps must be a number in [1, 240], got ${String(fps)}`);
  // The audio stream has round(numFrames/fps · 25) latent frames (upstream); a clip shorter than half of one
  // (20 ms) would give none, and the run would fail after the text encoder.
  if (audioLatentFrames(frames, fps) < 1) throw invalid(`numFrames ${frames} at fps ${fps} lasts ${(1000 * frames / fps).toFixed(0)} ms, shorter than one audio latent frame (40 ms, rounded); use more frames or a lower fps`);
  const seed = int(p.seed ?? defaults.seed, "seed", 0);
  if (DISTILLED_SCHEDULE.has(p.pipeline) && p.steps !== undefined) throw invalid(`${p.pipeline} uses the fixed distilled schedule (8 + 3 steps); steps cannot be set`);
  const steps = DISTILLED_SCHEDULE.has(p.pipeline) ? 8 : int(p.steps ?? defaults.numInferenceSteps, "steps", 2);
  if (steps > 1000) throw invalid(`steps must be at most 1000, got ${steps}`);

  const images: ResolvedImage[] = (p.images ?? []).map((img, i) => {
    const name = `images[${i}]`;
    if (typeof img.source === "string") {
      if (!existsSync(img.source) || !statSync(img.source).isFile()) throw invalid(`${name}: image file '${img.source}' does not exist`);
    } else if (!(img.source instanceof Uint8Array) || img.source.length === 0) throw invalid(`${name}: source must be a file path or non-empty image bytes`);
    const frame = int(img.frame ?? 0, `${name}.frame`, 0);
    if (frame >= frames) throw invalid(`${name}.frame ${frame} is outside the video (frames 0..${frames - 1})`);
    const crf = int(img.crf ?? defaults.defaultImageCrf, `${name}.crf`, 0);
    if (crf > 51) throw invalid(`${name}.crf must be in 0..51 (H.264), got ${crf}`);
    return { source: img.source, frame, strength: unit(img.strength ?? 1, `${name}.strength`), crf };
  });

  let referenceVideo: ResolvedParams["referenceVideo"];
  if (p.pipeline === "ic_lora") {
    const r = p.referenceVideo;
    if (!r) throw invalid("ic_lora needs a reference video (referenceVideo / --reference-video)");
    if (!existsSync(r.path) || !statSync(r.path).isFile()) throw invalid(`reference video '${r.path}' does not exist`);
    if (models.loras.length === 0) throw invalid("ic_lora needs at least one IC-LoRA (--lora)");
    const d = models.loras[0]!.referenceDownscaleFactor;
    for (const l of models.loras) {
      if (l.referenceDownscaleFactor !== d) throw invalid(`LoRAs disagree on reference_downscale_factor (${d} vs ${l.referenceDownscaleFactor} in '${l.path}')`);
    }
    if ((height / 2) % (32 * d) !== 0 || (width / 2) % (32 * d) !== 0) {
      throw invalid(`the reference is encoded at half size / ${d} (reference_downscale_factor); ${width / 2}x${height / 2} must then be a multiple of ${32 * d}`);
    }
    if (r.attentionMask !== undefined && (!existsSync(r.attentionMask) || !statSync(r.attentionMask).isFile())) {
      throw invalid(`attention mask '${r.attentionMask}' does not exist`);
    }
    referenceVideo = {
      path: r.path, strength: unit(r.strength ?? 1, "referenceVideo.strength"), attentionStrength: unit(r.attentionStrength ?? 1, "referenceVideo.attentionStrength"),
      ...(r.attentionMask !== undefined ? { attentionMask: r.attentionMask } : {}),
    };
  } else if (p.referenceVideo) {
    throw invalid(`a reference video only applies to the ic_lora pipeline, not ${p.pipeline}`);
  }
  if (twoStage && !models.upsampler) throw invalid(`${p.pipeline} needs a spatial latent upsampler (--upsampler)`);
  if ((p.pipeline === "ti2vid_two_stages" || p.pipeline === "keyframe_interpolation") && !models.distilledLora) {
    throw invalid(`${p.pipeline} refines with the distilled LoRA in stage 2; give it (--distilled-lora)`);
  }
  if (p.pipeline === "keyframe_interpolation" && images.length === 0) throw invalid("keyframe_interpolation needs at least one image (--image PATH:FRAME)");

  let videoGuidance, audioGuidance;
  try {
    videoGuidance = new MultiModalGuider({ ...defaults.video, ...p.videoGuidance }).params;
    audioGuidance = new MultiModalGuider({ ...defaults.audio, ...p.audioGuidance }).params;
  } catch (e) {
    throw invalid(`guidance: ${(e as Error).message}`);
  }
  if (typeof p.output !== "string" || !p.output.toLowerCase().endsWith(".mp4")) throw invalid(`output must be a path ending in .mp4, got ${String(p.output)}`);
  const outDir = dirname(p.output);
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) throw invalid(`the output folder '${outDir}' does not exist`);
  if (p.pngFramesDir !== undefined && existsSync(p.pngFramesDir)) throw invalid(`PNG frame folder '${p.pngFramesDir}' already exists; choose a new one`);
  if (p.negativePrompt !== undefined && typeof p.negativePrompt !== "string") throw invalid("negativePrompt must be a string");
  if (p.enhancePrompt !== undefined && typeof p.enhancePrompt !== "boolean") throw invalid(`enhancePrompt must be a boolean, got ${String(p.enhancePrompt)}`);
  if (p.enhancePrompt && !models.textEncoderVision && images.some((img) => img.frame === 0)) {
    throw invalid(`enhancePrompt with an image at frame 0 is image-to-video enhancement, which needs a multimodal Gemma folder (vision_config and vision_tower/multi_modal_projector weights); '${models.files.textEncoder}' has none`);
  }
  const enhanceMaxNewTokens = int(p.enhanceMaxNewTokens ?? 512, "enhanceMaxNewTokens", 1);
  if (enhanceMaxNewTokens > 8192) throw invalid(`enhanceMaxNewTokens must be at most 8192, got ${enhanceMaxNewTokens}`);

  return {
    pipeline: p.pipeline, prompt: p.prompt, negativePrompt: p.negativePrompt ?? DEFAULT_NEGATIVE_PROMPT, enhancePrompt: p.enhancePrompt ?? false, enhanceMaxNewTokens, seed, width, height, numFrames: frames, fps, steps,
    images, ...(referenceVideo ? { referenceVideo } : {}), videoGuidance: { ...videoGuidance }, audioGuidance: { ...audioGuidance },
    output: p.output, ...(p.pngFramesDir !== undefined ? { pngFramesDir: p.pngFramesDir } : {}),
  };
}
