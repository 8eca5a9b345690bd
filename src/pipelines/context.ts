// What every stage gets: cancellation checks, progress, per-stage time and peak memory, the seeded noise stream.
import { GaussianGenerator } from "../models/ltx2/components/noisers.js";
import { AiprodError } from "../native/errors.js";
import type { Progress, StageReport } from "./types.js";

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
  #current?: { stage: string; start: number; peak: number };
  /** Set when the run is on a GPU: each stage also reports its peak device memory. */
  devicePeak?: DevicePeak;

  /**
   * `aborted`: polled at every step and transformer block (in a worker it reads a shared flag, because a
   * synchronous denoising loop never yields to the message queue). One noise generator serves the whole run,
   * like upstream's single torch.Generator.
   */
  constructor(
    readonly aborted: () => boolean,
    readonly onProgress: (p: Progress) => void,
    readonly noise: GaussianGenerator,
  ) {}

  /** Throws AbortedError when cancelled; samples memory for the current stage. */
  check(): void {
    this.sample();
    if (this.aborted()) throw new AbortedError();
  }

  sample(): void {
    if (this.#current) this.#current.peak = Math.max(this.#current.peak, process.memoryUsage.rss());
  }

  progress(step: number, steps: number): void {
    if (this.#current) this.onProgress({ stage: this.#current.stage, step, steps });
  }

  /** Runs one named stage, recording its time and peak RSS. */
  async stage<T>(stage: string, fn: () => T | Promise<T>): Promise<T> {
    this.check();
    const outer = this.#current;
    this.#current = { stage, start: performance.now(), peak: process.memoryUsage.rss() };
    // Nested stages share the allocator's one peak counter: only top-level stages reset it.
    if (!outer) this.devicePeak?.reset();
    this.onProgress({ stage, step: 0, steps: 1 });
    try {
      return await fn();
    } finally {
      const c = this.#current;
      this.sample();
      const device = this.devicePeak ? { peakDeviceBytes: this.devicePeak.peak() } : {};
      this.stages.push({ stage, seconds: (performance.now() - c.start) / 1000, peakRssBytes: c.peak, ...device });
      this.#current = outer;
    }
  }
}
