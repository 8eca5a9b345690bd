// What a worker needs from the generation library: one call that renders a job's parameters into an MP4 at a
// given path, reports progress per denoising step, and stops within one step when its AbortSignal fires.
// The real implementation is a thin adapter over the pipelines' engine (src/pipelines); tests use a synthetic
// one (test/helpers/syntheticBackend.ts). The default is the pipelines (pipelineBackend.ts); another backend is
// loaded by module path (AIPROD_WORKER_BACKEND), so a deployment can choose without changing the server.
import type { GenerationParams } from "../schemas/generationParams.js";

export interface ProgressUpdate {
  /** e.g. "encode_prompt", "denoise", "upsample", "decode", "encode_media" */
  stage: string;
  step: number;
  steps: number;
  /** Work done out of the whole job's work (any unit) and the seconds left, when the backend plans its work. */
  done?: number;
  total?: number;
  etaSeconds?: number;
}

export interface GenerationInputs {
  /** Local paths of the conditioning images, in the order of params.images */
  images: Array<{ path: string; frame_index: number; strength: number }>;
  loras: Array<{ path: string; strength: number }>;
}

export interface GenerateOptions {
  signal: AbortSignal;
  onProgress: (p: ProgressUpdate) => void;
  /** Where to write the MP4 (the folder exists). */
  outputPath: string;
  inputs: GenerationInputs;
  /** Device this worker owns, e.g. "cuda:0" or "cpu". */
  device: string;
}

export interface GenerationResult {
  outputPath: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  durationSeconds: number;
  /** The prompt the backend generated from when it rewrote the request's (enhance_prompt). */
  enhancedPrompt?: string;
  metadata: Record<string, unknown>;
}

export interface GenerationBackend {
  /** Shown in logs and job results. */
  readonly name: string;
  generate(params: GenerationParams, opts: GenerateOptions): Promise<GenerationResult>;
  close?(): Promise<void>;
}

/** A failure the worker may retry (out of memory, a lost device, a transient I/O error). */
export class RetryableGenerationError extends Error {
  readonly retryable = true;
  constructor(message: string, readonly code = "generation.transient") {
    super(message);
    this.name = "RetryableGenerationError";
  }
}

/** A failure that will not go away by retrying (invalid inputs for the model, a missing LoRA file). */
export class PermanentGenerationError extends Error {
  readonly retryable = false;
  constructor(message: string, readonly code = "generation.invalid") {
    super(message);
    this.name = "PermanentGenerationError";
  }
}

/** The module named by AIPROD_WORKER_BACKEND exports createBackend(); its options come from the environment. */
export interface BackendModule {
  createBackend(opts: { device: string; env: Record<string, string | undefined> }): Promise<GenerationBackend> | GenerationBackend;
}

/** The module named by AIPROD_WORKER_BACKEND, or the library's pipelines when unset or "builtin". */
export async function loadBackend(modulePath: string | undefined, device: string): Promise<GenerationBackend> {
  if (!modulePath || modulePath === "builtin") {
    const { createBackend } = await import("./pipelineBackend.js");
    return createBackend({ device, env: process.env });
  }
  const { pathToFileURL } = await import("node:url");
  const { resolve } = await import("node:path");
  const spec = modulePath.startsWith(".") || modulePath.startsWith("/") ? pathToFileURL(resolve(modulePath)).href : modulePath;
  const mod = (await import(spec)) as Partial<BackendModule>;
  if (typeof mod.createBackend !== "function") throw new Error(`AIPROD_WORKER_BACKEND=${modulePath} does not export createBackend()`);
  return mod.createBackend({ device, env: process.env });
}
