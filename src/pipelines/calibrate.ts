// Device profiles: how long each stage takes on this device class, measured by running the pipelines at two
// sizes (`aiprod calibrate`), so that a job's time, and so its charge, can be estimated before it runs from the
// work plan (workPlan.ts). Per stage, seconds = fixed + perFlop x planned FLOPs (the fixed part is loading the
// stage's weights and other size-independent work); what no stage accounts for (worker start, hashing, muxing)
// is the profile's overhead.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { getInfo } from "../runtime/info.js";
import type { Engine } from "./engine.js";
import { resolveParams } from "./validate.js";
import type { GenerateParams } from "./types.js";
import { planWork, type WorkPlan } from "./workPlan.js";

export interface StageRate {
  fixedSeconds: number;
  secondsPerFlop: number;
}

export interface DeviceProfile {
  /** What was measured: "cpu:<CPU model> x<threads>" (GPU classes: "cuda:<device name>"). */
  deviceClass: string;
  stages: Record<string, StageRate>;
  overheadSeconds: number;
  measuredAt: string;
}

/** This machine's device class for the CPU path: the CPU model and the kernel threads. */
export function cpuDeviceClass(): string {
  return `cpu:${(cpus()[0]?.model ?? "unknown CPU").trim().replace(/\s+/g, " ")} x${getInfo().threads}`;
}

/** Estimated seconds of a job with `plan` on the profiled device. */
export function estimateSeconds(plan: WorkPlan, profile: DeviceProfile): number {
  let s = profile.overheadSeconds;
  for (const [stage, flops] of plan) {
    const r = profile.stages[stage];
    if (r) s += r.fixedSeconds + r.secondsPerFlop * flops;
  }
  return s;
}

interface Sample {
  plan: WorkPlan;
  stages: Map<string, number>;
  seconds: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * Runs `small` and `large` (`repeats` times each, medians kept) on the engine's models and fits each stage's
 * fixed and per-FLOP time. Outputs go to `dir`.
 */
export async function calibrate(engine: Engine, opts: { dir: string; small: Omit<GenerateParams, "output">; large: Omit<GenerateParams, "output">; repeats?: number }): Promise<DeviceProfile> {
  const models = engine.models;
  if (!models) throw new Error("aiprod calibrate: load the models first (engine.loadModels)");
  const repeats = opts.repeats ?? 2;
  const measure = async (p: Omit<GenerateParams, "output">): Promise<Sample> => {
    const params = { ...p, output: join(opts.dir, "calibrate.mp4") };
    const plan = planWork(resolveParams(params, models), models);
    const runs = [];
    for (let i = 0; i < repeats; i++) runs.push(await engine.generate(params));
    const stages = new Map<string, number>();
    for (const name of new Set(runs.flatMap((r) => r.stages.map((s) => s.stage)))) {
      stages.set(name, median(runs.map((r) => r.stages.filter((s) => s.stage === name).reduce((a, s) => a + s.seconds, 0))));
    }
    return { plan, stages, seconds: median(runs.map((r) => r.seconds)) };
  };
  // A first run warms the caches (model files, packed weights, thread pool) so both sizes see the same state.
  await engine.generate({ ...opts.small, output: join(opts.dir, "calibrate.mp4") });
  const a = await measure(opts.small), b = await measure(opts.large);
  const stages: Record<string, StageRate> = {};
  for (const stage of new Set([...a.stages.keys(), ...b.stages.keys()])) {
    const fa = a.plan.get(stage) ?? 0, fb = b.plan.get(stage) ?? 0, ta = a.stages.get(stage) ?? 0, tb = b.stages.get(stage) ?? 0;
    const perFlop = fb > fa ? Math.max(0, (tb - ta) / (fb - fa)) : 0;
    // Stages without planned work (e.g. "images" with no images) are fixed time only.
    stages[stage] = { fixedSeconds: Math.max(0, fb > fa ? ta - perFlop * fa : (ta + tb) / 2), secondsPerFlop: perFlop };
  }
  const overhead = (s: Sample) => s.seconds - [...s.stages.values()].reduce((x, y) => x + y, 0);
  return { deviceClass: cpuDeviceClass(), stages, overheadSeconds: Math.max(0, (overhead(a) + overhead(b)) / 2), measuredAt: new Date().toISOString() };
}

/** Profiles kept in a JSON file, one per device class (written under a temporary name, then renamed). */
export function saveProfile(path: string, profile: DeviceProfile): void {
  const all = loadProfiles(path);
  all[profile.deviceClass] = profile;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(all, null, 2) + "\n");
  renameSync(`${path}.tmp`, path);
}

export function loadProfiles(path: string): Record<string, DeviceProfile> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, DeviceProfile>;
  } catch {
    return {};
  }
}
