// The library entry point: createEngine({device}) → engine.loadModels(files) → engine.generate(params, {signal,
// onProgress}). Validation and header checks run on the calling thread before anything heavy; each generation
// then runs in its own worker thread, so the caller's event loop keeps serving (progress, HTTP, …).
import { Worker } from "node:worker_threads";
import { AiprodError } from "../native/errors.js";
import { cudaInfo } from "../runtime/info.js";
import { AbortedError } from "./context.js";
import { inspectModels, type ModelInfo, modelHashes } from "./modelFiles.js";
import type { RunOutput } from "./run.js";
import type { GenerateParams, GenerateResult, ModelFiles, Progress, StageReport } from "./types.js";
import { planWork } from "./workPlan.js";
import { resolveParams } from "./validate.js";
import { cudaMemoryDevice, hostMemoryDevice, type MemoryDevice } from "./memory/device.js";
import { type ModelFacts, modelFacts } from "./memory/modelFacts.js";
import { type MemoryPlan, outOfMemoryError, planGeneration } from "./memory/planGeneration.js";

export type EngineDevice = "cpu" | "cuda" | "auto";

export interface GenerateOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Minimum milliseconds between two progress calls (stage changes and the last step always pass); default 100. */
  progressIntervalMs?: number;
  /** The memory the job is planned against; default the engine's device (host: RAM or cgroup limit, MemAvailable free). */
  memoryDevice?: MemoryDevice;
}

/**
 * A worker running worker.js next to this module. From source (tests, tsx) it is worker.ts, and tsx's loader
 * hooks do not carry over into workers on Node 20, so a small bootstrap registers them first.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./worker.js", import.meta.url), { workerData });
  const api = import.meta.resolve("tsx/esm/api");
  const script = new URL("./worker.ts", import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`, { eval: true, workerData });
}

/**
 * "cpu", or "cuda" when a CUDA device is ready (ERR_AIPROD_NO_DEVICE saying why when there is none); "auto" picks
 * a ready GPU, else the CPU (never the host emulation, which is for tests).
 */
function resolveDevice(device: EngineDevice): "cpu" | "cuda" {
  if (device === "cpu") return "cpu";
  if (device === "cuda" || device === "auto") {
    const c = cudaInfo();
    if (device === "auto") return c.state === "ready" && !c.emulated ? "cuda" : "cpu";
    if (c.state !== "ready") {
      throw new AiprodError("ERR_AIPROD_NO_DEVICE", `aiprod.createEngine: there is no CUDA device: ${c.reason ?? c.state}; use device "cpu" or "auto"`);
    }
    return "cuda";
  }
  throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.createEngine: device must be cpu, cuda or auto, got '${String(device)}'`);
}

export class Engine {
  #models?: ModelInfo;
  #hashes?: Record<string, string>;
  #facts?: ModelFacts;

  constructor(readonly device: "cpu" | "cuda") {}

  /** Checks the files (headers only, nothing is loaded) and hashes them; generate() loads what each stage needs. */
  async loadModels(files: ModelFiles): Promise<ModelInfo> {
    const info = inspectModels(files);
    this.#hashes = await modelHashes(info);
    this.#facts = modelFacts(info);
    this.#models = info;
    return info;
  }

  /** The memory the engine's device offers: the host's, or the CUDA device's when the engine runs there. */
  memoryDevice(): MemoryDevice {
    return (this.device === "cuda" ? cudaMemoryDevice() : undefined) ?? hostMemoryDevice();
  }

  /** The memory plan of `params` on `device` (default the engine's), as generate() makes it before any work. */
  planMemory(params: GenerateParams, device: MemoryDevice = this.memoryDevice()): MemoryPlan {
    const models = this.#models;
    if (!models || !this.#facts) throw new AiprodError("ERR_AIPROD_NO_MODELS", "aiprod.planMemory: call loadModels() first");
    return planGeneration(resolveParams(params, models), this.#facts, device);
  }

  get models(): ModelInfo | undefined {
    return this.#models;
  }

  /** Validates `params` (rejecting before any work), then runs the pipeline in a worker thread. */
  async generate(params: GenerateParams, opts: GenerateOptions = {}): Promise<GenerateResult> {
    const models = this.#models;
    if (!models || !this.#hashes) throw new AiprodError("ERR_AIPROD_NO_MODELS",
      "aiprod.generate: no models are loaded; first call engine.loadModels({ checkpoint, textEncoder, ... }) with your LTX-2 files, or engine.loadModels(ensureTinyModels()) for the built-in tiny set (random weights: noise, for trying the API)");
    const resolved = resolveParams(params, models);
    // Sized before any work: a job that can never fit is refused here, and the decode tiling is the plan's.
    const plan = planGeneration(resolved, this.#facts!, opts.memoryDevice ?? this.memoryDevice());
    if (plan.verdict === "never_fits") throw outOfMemoryError(plan);
    if (opts.signal?.aborted) throw new AbortedError();
    const hashes = this.#hashes;
    const abort = new SharedArrayBuffer(4);
    const flag = new Int32Array(abort);
    const start = performance.now();
    const interval = opts.progressIntervalMs ?? 100;
    let lastAt = 0, lastStage = "";
    const report = (p: Progress) => {
      const now = performance.now();
      if (p.stage !== lastStage || p.step >= p.steps || now - lastAt >= interval) {
        lastAt = now;
        lastStage = p.stage;
        opts.onProgress?.(p);
      }
    };
    const worker = startWorker({ params: resolved, models, abort, device: this.device, decodeTiling: plan.tiling, plan: [...planWork(resolved, models)] });
    const onAbort = () => Atomics.store(flag, 0, 1);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const { out, stages, baselineRssBytes } = await new Promise<{ out: RunOutput; stages: StageReport[]; baselineRssBytes: number }>((resolve, reject) => {
        worker.on("message", (m: { type: string; [k: string]: unknown }) => {
          if (m.type === "progress") report(m.progress as Progress);
          else if (m.type === "done") resolve({ out: m.out as RunOutput, stages: m.stages as StageReport[], baselineRssBytes: m.baselineRssBytes as number });
          else if (m.type === "error") {
            if (m.code === "ERR_AIPROD_ABORTED") reject(new AbortedError());
            else reject(Object.assign(new AiprodError((m.code as string) ?? "ERR_AIPROD_GENERATE_FAILED", m.message as string), { stack: m.stack as string }));
          }
        });
        worker.on("error", reject);
        worker.on("exit", (code) => reject(new AiprodError("ERR_AIPROD_GENERATE_FAILED", `aiprod.generate: the worker exited (code ${code}) without a result`)));
      });
      return {
        output: resolved.output, ...(resolved.pngFramesDir ? { pngFramesDir: resolved.pngFramesDir } : {}),
        frames: out.frames, width: resolved.width, height: resolved.height, fps: resolved.fps, hasAudio: out.hasAudio,
        seed: resolved.seed, pipeline: resolved.pipeline, params: resolved, ...(out.enhancedPrompt !== undefined ? { enhancedPrompt: out.enhancedPrompt } : {}), modelHashes: hashes, stages, baselineRssBytes, memoryPlan: plan, seconds: (performance.now() - start) / 1000,
      };
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      // The worker has finished (or failed); terminating returns its memory at once.
      await worker.terminate();
    }
  }
}

export function createEngine(opts: { device?: EngineDevice } = {}): Engine {
  return new Engine(resolveDevice(opts.device ?? "auto"));
}
