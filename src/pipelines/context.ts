// What every stage gets: cancellation checks, progress, per-stage time and peak memory, the seeded noise stream.
import { GaussianGenerator } from "../models/ltx2/components/noisers.js";
import { AiprodError } from "../native/errors.js";
import { peakRss, resetPeakRss } from "../runtime/peakRss.js";
import type { Progress, StageReport } from "./types.js";
import type { WorkPlan } from "./workPlan.js";

export class AbortedError extends AiprodError {
  constructor() {
    super("ERR_AIPROD_ABORTED", "aiprod.generate: the generation was cancelled");
    this.name = "AbortError";
  }
}

/** Peak device memory of a stage: reset at its start, read at its end (the CUDA allocator's bytes in use). */
export interface DevicePeak {
  reset(): void;
  peak(): number;
}

export class RunContext {
  readonly stages: StageReport[] = [];
  #current?: { stage: string; start: number; startRss: number; peak: number };
  /** Set when the run is on a GPU: each stage also reports its peak device memory. */
  devicePeak?: DevicePeak;
  /** RSS when the run began (the worker thread started, nothing loaded): the base the stages' peaks sit on. */
  readonly baselineRssBytes = process.memoryUsage.rss();
  readonly #plan: WorkPlan;
  readonly #total: number;
  readonly #start = performance.now();
  /** Work of the stages already finished. */
  #finished = 0;

  /**
   * `aborted`: polled at every step and transformer block (in a worker it reads a shared flag, because a
   * synchronous denoising loop never yields to the message queue). One noise generator serves the whole run,
   * like upstream's single torch.Generator.
   */
  constructor(
    readonly aborted: () => boolean,
    readonly onProgress: (p: Progress) => void,
    readonly noise: GaussianGenerator,
    plan: WorkPlan = new Map(),
  ) {
    this.#plan = plan;
    this.#total = [...plan.values()].reduce((a, b) => a + b, 0);
  }

  /** Progress of the whole job: this stage's share of its planned work added to the finished stages'. */
  #emit(stage: string, step: number, steps: number): void {
    const share = steps > 0 ? Math.min(1, Math.max(0, step / steps)) : 0;
    const done = Math.min(this.#total, this.#finished + (this.#plan.get(stage) ?? 0) * share);
    const elapsed = (performance.now() - this.#start) / 1000;
    const p: Progress = { stage, step, steps, done, total: this.#total };
    // Extrapolated from the rate so far, once 1% of the work is done (before that it is mostly noise).
    if (this.#total > 0 && done >= 0.01 * this.#total) p.etaSeconds = (elapsed / done) * (this.#total - done);
    this.onProgress(p);
  }

  /** Throws AbortedError when cancelled; samples memory for the current stage. */
  check(): void {
    this.sample();
    if (this.aborted()) throw new AbortedError();
  }

  /** Folds the process's peak RSS since the stage began (kernel high-water mark where available) into the stage. */
  sample(): void {
    if (this.#current) this.#current.peak = Math.max(this.#current.peak, peakRss());
  }

  progress(step: number, steps: number): void {
    if (this.#current) this.#emit(this.#current.stage, step, steps);
  }

  /** Runs one named stage, recording its time and peak RSS. */
  async stage<T>(stage: string, fn: () => T | Promise<T>): Promise<T> {
    this.check();
    const outer = this.#current;
    // The high-water mark is reset per stage so each stage reports its own peak; the enclosing stage keeps the
    // part it has seen so far and gets the inner stage's peak when it ends.
    resetPeakRss();
    const startRss = process.memoryUsage.rss();
    this.#current = { stage, start: performance.now(), startRss, peak: startRss };
    // Nested stages share the allocator's one peak counter: only top-level stages reset it.
    if (!outer) this.devicePeak?.reset();
    this.#emit(stage, 0, 1);
    try {
      return await fn();
    } finally {
      const c = this.#current;
      this.sample();
      const device = this.devicePeak ? { peakDeviceBytes: this.devicePeak.peak() } : {};
      this.stages.push({ stage, seconds: (performance.now() - c.start) / 1000, peakRssBytes: c.peak, startRssBytes: c.startRss, ...device });
      if (outer) outer.peak = Math.max(outer.peak, c.peak);
      this.#current = outer;
      if (!outer) this.#finished += this.#plan.get(stage) ?? 0;
    }
  }
}
