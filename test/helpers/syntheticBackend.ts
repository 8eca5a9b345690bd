// A generation backend for tests: real H.264 MP4s from ffmpeg's deterministic synthetic source (testsrc2, hue
// shifted by the seed), with `steps` denoising steps that each take `stepMs`, report progress and honour the
// AbortSignal at every step, as the pipelines do. Options (or AIPROD_TEST_* variables when loaded by module path):
//  - mode "encode" runs ffmpeg per job; "copy" encodes once per parameter set and copies the file (fast, for
//    the many-jobs tests; QA still inspects every copy);
//  - blankSeeds: seeds that produce a black video (to exercise QA and its retry with a new seed);
//  - failFirst: the first N calls throw a retryable error.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findMediaTool } from "../../src/media/ffmpeg.js";
import type { GenerationParams } from "../../server/schemas/generationParams.js";
import { type GenerateOptions, type GenerationBackend, type GenerationResult, RetryableGenerationError } from "../../server/worker/backend.js";
import { sleep } from "../../server/util/sleep.js";

export interface SyntheticOptions {
  stepMs?: number;
  steps?: number;
  mode?: "encode" | "copy";
  blankSeeds?: number[];
  /** Every output is black. */
  blankAll?: boolean;
  failFirst?: number;
  /** Report work done out of the job's work (a unit per step) with an ETA, as the library's pipelines do. */
  work?: boolean;
}

class AbortedError extends Error {
  constructor() {
    super("aborted");
    this.name = "AbortError";
  }
}

function encode(p: GenerationParams, seed: number, blank: boolean, out: string, signal?: AbortSignal): Promise<void> {
  const src = blank ? `color=c=black:size=${p.width}x${p.height}:rate=${p.fps}` : `testsrc2=size=${p.width}x${p.height}:rate=${p.fps}`;
  const vf = blank ? "null" : `hue=h=${seed % 360}`;
  const tmp = `${out}.tmp.mp4`;
  const args = ["-v", "error", "-y", "-f", "lavfi", "-i", src, "-frames:v", String(p.num_frames), "-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-r", String(p.fps), "-movflags", "+faststart", tmp];
  return new Promise((resolve, reject) => {
    const child = spawn(findMediaTool("ffmpeg"), args, { stdio: ["ignore", "ignore", "pipe"], signal });
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", (e) => reject(signal?.aborted ? new AbortedError() : e));
    child.on("close", (code) => {
      if (code !== 0) return reject(signal?.aborted ? new AbortedError() : new Error(`ffmpeg failed: ${err.slice(-300)}`));
      renameSync(tmp, out);
      resolve();
    });
  });
}

export class SyntheticBackend implements GenerationBackend {
  readonly name = "synthetic-test";
  calls = 0;
  /** Step index at which each call saw its abort (cancellation tests). */
  readonly abortedAtStep: number[] = [];
  readonly stepsRun: number[] = [];
  private readonly cacheDir = mkdtempSync(join(tmpdir(), "aiprod-synth-"));

  constructor(private readonly o: SyntheticOptions = {}) {}

  async generate(p: GenerationParams, opts: GenerateOptions): Promise<GenerationResult> {
    this.calls += 1;
    const call = this.calls;
    const steps = this.o.steps ?? p.steps ?? 4;
    const stepMs = this.o.stepMs ?? 20;
    opts.onProgress({ stage: "encode_prompt", step: 1, steps: 1 });
    let step = 0;
    for (step = 1; step <= steps; step++) {
      if (opts.signal.aborted) {
        this.abortedAtStep.push(step);
        throw new AbortedError();
      }
      await sleep(stepMs, opts.signal); // removes its abort listener after each step (one per step piled up)
      if (opts.signal.aborted) {
        this.abortedAtStep.push(step);
        throw new AbortedError();
      }
      this.stepsRun.push(call);
      opts.onProgress({ stage: "denoise", step, steps, ...(this.o.work ? { done: step, total: steps, etaSeconds: ((steps - step) * stepMs) / 1000 } : {}) });
    }
    if (this.o.failFirst && call <= this.o.failFirst) throw new RetryableGenerationError(`synthetic transient failure ${call}`, "generation.transient");
    opts.onProgress({ stage: "decode", step: 1, steps: 1 });
    const blank = this.o.blankAll === true || (this.o.blankSeeds ?? []).includes(p.seed);
    if (this.o.mode === "copy") {
      const cached = join(this.cacheDir, `${p.width}x${p.height}-${p.num_frames}-${p.fps}-${blank ? "blank" : p.seed % 360}.mp4`);
      if (!existsSync(cached)) await encode(p, p.seed, blank, cached);
      copyFileSync(cached, opts.outputPath);
    } else {
      await encode(p, p.seed, blank, opts.outputPath, opts.signal);
    }
    opts.onProgress({ stage: "encode_media", step: 1, steps: 1 });
    return {
      outputPath: opts.outputPath,
      frames: p.num_frames,
      width: p.width,
      height: p.height,
      fps: p.fps,
      durationSeconds: p.num_frames / p.fps,
      metadata: { synthetic: true, steps },
    };
  }
}

/** Loaded by module path (AIPROD_WORKER_BACKEND) in worker processes. */
export function createBackend(o: { env: Record<string, string | undefined> }): GenerationBackend {
  const e = o.env;
  return new SyntheticBackend({
    stepMs: e.AIPROD_TEST_STEP_MS ? Number(e.AIPROD_TEST_STEP_MS) : undefined,
    steps: e.AIPROD_TEST_STEPS ? Number(e.AIPROD_TEST_STEPS) : undefined,
    mode: e.AIPROD_TEST_BACKEND_MODE === "copy" ? "copy" : "encode",
  });
}
