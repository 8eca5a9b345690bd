// The worker's memory admission (server/worker/memoryAdmission.ts) against the real planner on the tiny models:
// a job waits while the free memory is short, runs once it fits, fails for good when it can never fit, and goes
// back to the queue when it waited too long.
import { join } from "node:path";
import t from "tap";
import { createEngine } from "../../src/pipelines/engine.js";
import { PermanentGenerationError, RetryableGenerationError } from "../../server/worker/backend.js";
import { admitByMemory } from "../../server/worker/memoryAdmission.js";
import { tinySetup } from "../pipelines/helpers.js";

const { dir, files } = tinySetup();
const engine = createEngine({ device: "cpu" });
await engine.loadModels({ ...files, loras: [] });
const params = { pipeline: "distilled" as const, prompt: "a fox", width: 128, height: 128, frames: 9, output: join(dir, "a.mp4") };
const need = engine.planMemory(params, { kind: "cpu", totalBytes: 2 ** 40, freeBytes: 2 ** 40 }).neededBytes;
const rss = () => process.memoryUsage.rss();

t.test("waits while the job does not fit the free memory, admits it once it does", async (t) => {
  let checks = 0;
  // Free memory grows by the job's need after three checks (another job finished).
  const device = () => ({ kind: "cpu" as const, totalBytes: 2 * need, freeBytes: ++checks > 3 ? need : 0 });
  const plan = await admitByMemory(engine, params, { device, pollMs: 5 });
  t.ok(plan.fitsNow);
  t.equal(checks, 4, "re-planned on every poll until it fit");
});

t.test("a job that can never fit fails at once and for good, with the planner's message", async (t) => {
  const device = () => ({ kind: "cpu" as const, totalBytes: rss() + 1024, freeBytes: 1024 });
  const e = await admitByMemory(engine, params, { device, pollMs: 5 }).catch((x: unknown) => x);
  t.type(e, PermanentGenerationError);
  t.equal((e as PermanentGenerationError).code, "generation.out_of_memory");
  t.match((e as Error).message, /bytes\) of memory/);
});

t.test("a job that fits the device but not its free memory for too long goes back to the queue", async (t) => {
  const device = () => ({ kind: "cpu" as const, totalBytes: 2 * need, freeBytes: 0 });
  const e = await admitByMemory(engine, params, { device, pollMs: 5, maxWaitMs: 30 }).catch((x: unknown) => x);
  t.type(e, RetryableGenerationError);
  t.equal((e as RetryableGenerationError).code, "generation.out_of_memory");
});
