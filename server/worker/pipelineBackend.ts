// The generation backend on the library's pipelines (src/pipelines): createEngine() -> loadModels(files) ->
// engine.generate(params, {signal, onProgress}). The server's parameters (schemas/generationParams.ts) map to
// the library's GenerateParams; conditioning images and LoRAs come from the job's uploads (or the server's LoRA
// folder). LoRAs are fused at load time in the library, so one engine is kept per LoRA set (a few, least
// recently used first out). Model files come from the environment; without them the tiny built-in model set is
// used (seeded random weights: the output is noise that exercises every stage, as `aiprod generate` says).
//
// This is the default backend of `aiprod serve` and `aiprod worker` (AIPROD_WORKER_BACKEND unset or "builtin").
//   AIPROD_MODEL_CHECKPOINT, AIPROD_TEXT_ENCODER, AIPROD_UPSAMPLER, AIPROD_DISTILLED_LORA (path[:strength])
import { AbortedError, createEngine, type Engine, ensureTinyModels, type GenerateParams, type ModelFiles } from "../../src/pipelines/index.js";
import type { GenerationParams } from "../schemas/generationParams.js";
import { type GenerateOptions, type GenerationBackend, type GenerationResult, PermanentGenerationError, RetryableGenerationError } from "./backend.js";
import { admitByMemory } from "./memoryAdmission.js";

type Guidance = NonNullable<GenerationParams["video_guidance"]>;

function guidance(g: Guidance | undefined): GenerateParams["videoGuidance"] {
  if (!g) return undefined;
  return { cfgScale: g.cfg, stgScale: g.stg, rescaleScale: g.rescale, modalityScale: g.modality, ...(g.stg_blocks.length ? { stgBlocks: g.stg_blocks } : {}) };
}

/** The library's request for one job. */
export function toLibraryParams(p: GenerationParams, opts: Pick<GenerateOptions, "outputPath" | "inputs">): GenerateParams {
  const unguided = p.pipeline === "distilled" || p.pipeline === "ic_lora";
  return {
    pipeline: p.pipeline,
    prompt: p.prompt ?? "",
    ...(p.negative_prompt !== undefined ? { negativePrompt: p.negative_prompt } : {}),
    ...(p.enhance_prompt ? { enhancePrompt: true } : {}),
    seed: p.seed,
    width: p.width,
    height: p.height,
    numFrames: p.num_frames,
    fps: p.fps,
    ...(!unguided && p.steps !== undefined ? { steps: p.steps } : {}),
    ...(opts.inputs.images.length ? { images: opts.inputs.images.map((i) => ({ source: i.path, frame: i.frame_index, strength: i.strength })) } : {}),
    ...(p.video_guidance ? { videoGuidance: guidance(p.video_guidance) } : {}),
    ...(p.audio_guidance ? { audioGuidance: guidance(p.audio_guidance) } : {}),
    output: opts.outputPath,
  };
}

function loraSpec(s: string | undefined): { path: string; strength: number } | undefined {
  if (!s) return undefined;
  const m = /^(.*?)(?::(-?\d+(?:\.\d+)?))?$/.exec(s) as RegExpExecArray;
  return { path: m[1] as string, strength: m[2] ? Number(m[2]) : 1 };
}

export function modelFilesFromEnv(env: Record<string, string | undefined>): ModelFiles {
  if (!env.AIPROD_MODEL_CHECKPOINT) return ensureTinyModels();
  if (!env.AIPROD_TEXT_ENCODER) throw new Error("AIPROD_TEXT_ENCODER is required with AIPROD_MODEL_CHECKPOINT");
  const distilled = loraSpec(env.AIPROD_DISTILLED_LORA);
  return {
    checkpoint: env.AIPROD_MODEL_CHECKPOINT,
    textEncoder: env.AIPROD_TEXT_ENCODER,
    ...(env.AIPROD_UPSAMPLER ? { upsampler: env.AIPROD_UPSAMPLER } : {}),
    ...(distilled ? { distilledLora: distilled } : {}),
  };
}

const MAX_ENGINES = 3;

export class PipelineBackend implements GenerationBackend {
  readonly name = "aiprod-pipelines";
  private readonly engines = new Map<string, Promise<Engine>>();

  private resolved?: ModelFiles;

  /** `files` may be a function: resolved on the first job (the tiny set is written to the cache then, not at start). */
  constructor(private readonly files: ModelFiles | (() => ModelFiles), private readonly device: "cpu" | "cuda" | "auto" = "auto") {}

  private modelFiles(): ModelFiles {
    return (this.resolved ??= typeof this.files === "function" ? this.files() : this.files);
  }

  private engineFor(loras: Array<{ path: string; strength: number }>): Promise<Engine> {
    const key = JSON.stringify(loras);
    let e = this.engines.get(key);
    if (e) {
      this.engines.delete(key); // most recently used last
    } else {
      e = (async () => {
        const engine = createEngine({ device: this.device });
        const files = this.modelFiles();
        await engine.loadModels({ ...files, ...(loras.length ? { loras: [...(files.loras ?? []), ...loras] } : {}) });
        return engine;
      })();
      e.catch(() => this.engines.delete(key));
    }
    this.engines.set(key, e);
    while (this.engines.size > MAX_ENGINES) this.engines.delete(this.engines.keys().next().value as string);
    return e;
  }

  async generate(p: GenerationParams, opts: GenerateOptions): Promise<GenerationResult> {
    let engine: Engine;
    try {
      engine = await this.engineFor(opts.inputs.loras);
    } catch (e) {
      // Model files that do not load will not load on a retry either.
      throw new PermanentGenerationError(`models: ${(e as Error).message}`, "generation.models");
    }
    try {
      const params = toLibraryParams(p, opts);
      // Waits until the job fits the free memory; a job that never fits fails here, before any work.
      await admitByMemory(engine, params, { signal: opts.signal });
      const r = await engine.generate(params, { signal: opts.signal, onProgress: opts.onProgress, progressIntervalMs: 200 });
      return {
        outputPath: r.output,
        frames: r.frames,
        width: r.width,
        height: r.height,
        fps: r.fps,
        durationSeconds: r.frames / r.fps,
        ...(r.enhancedPrompt !== undefined ? { enhancedPrompt: r.enhancedPrompt } : {}),
        metadata: {
          pipeline: r.pipeline, seed: r.seed, has_audio: r.hasAudio, model_hashes: r.modelHashes, stages: r.stages, seconds: r.seconds,
          ...(r.enhancedPrompt !== undefined ? { enhanced_prompt: r.enhancedPrompt } : {}),
        },
      };
    } catch (e) {
      if (e instanceof AbortedError || e instanceof PermanentGenerationError || e instanceof RetryableGenerationError) throw e;
      const code = (e as { code?: string }).code;
      if (code === "ERR_AIPROD_INVALID_REQUEST" || code === "ERR_AIPROD_INVALID_ARGUMENT") throw new PermanentGenerationError((e as Error).message, "generation.invalid");
      if (code === "ERR_AIPROD_OUT_OF_MEMORY") throw new PermanentGenerationError((e as Error).message, "generation.out_of_memory");
      throw new RetryableGenerationError((e as Error).message, "generation.error");
    }
  }
}

/** Loaded by module path (AIPROD_WORKER_BACKEND). WORKER_DEVICE "cpu" or "cuda..." picks the engine device. */
export function createBackend(o: { device: string; env: Record<string, string | undefined> }): GenerationBackend {
  const device = o.device.startsWith("cuda") ? "cuda" : o.device === "cpu" ? "cpu" : "auto";
  return new PipelineBackend(() => modelFilesFromEnv(o.env), device);
}
