// Admission by memory, where the worker starts a claimed job: the job runs only once its planned peak
// (the library's memory planner, Engine.planMemory) fits the device's free memory; meanwhile it waits, keeping
// its lease. A job that can never fit fails at once and for good, with the planner's message (the limit and the
// smallest change that would fit); one that still does not fit after maxWaitMs goes back to the queue.
import type { Engine, GenerateParams, MemoryDevice, MemoryPlan } from "../../src/pipelines/index.js";
import { sleep } from "../util/sleep.js";
import { PermanentGenerationError, RetryableGenerationError } from "./backend.js";

export interface AdmissionOptions {
  signal?: AbortSignal;
  /** Free-memory re-check interval (default 2 s). */
  pollMs?: number;
  /** Longest wait before the job is handed back to the queue (default 10 min). */
  maxWaitMs?: number;
  /** The device to plan against (default the host: Engine.planMemory's default). */
  device?: () => MemoryDevice;
}

export async function admitByMemory(engine: Engine, params: GenerateParams, o: AdmissionOptions = {}): Promise<MemoryPlan> {
  const deadline = Date.now() + (o.maxWaitMs ?? 600_000);
  for (;;) {
    const plan = o.device ? engine.planMemory(params, o.device()) : engine.planMemory(params);
    if (plan.verdict === "never_fits") throw new PermanentGenerationError(plan.message, "generation.out_of_memory");
    if (plan.fitsNow || o.signal?.aborted) return plan; // an aborted job is stopped by generate() itself
    if (Date.now() >= deadline) throw new RetryableGenerationError(`memory: ${plan.message}`, "generation.out_of_memory");
    await sleep(o.pollMs ?? 2000, o.signal);
  }
}
