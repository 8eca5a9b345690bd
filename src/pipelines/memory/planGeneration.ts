// Admission: the predicted peak of every stage of a request on a device, and a verdict: fits (as is), fits with a
// smaller VAE decode tile (chosen here, the largest that fits), or never fits, with the limit it breaks and the
// smallest change of the request that would fit.
import { DEFAULT_TILING, type TilingConfig } from "../../models/ltx2/vae/tiling.js";
import { AiprodError } from "../../native/errors.js";
import type { ResolvedParams } from "../types.js";
import { TWO_STAGE } from "../types.js";
import type { MemoryDevice } from "./device.js";
import type { ModelFacts } from "./modelFacts.js";
import { type StageMemory, stageMemory } from "./stageMemory.js";

export type MemoryVerdict = "fits" | "fits_with_smaller_tile" | "never_fits";

export interface PlannedStage extends StageMemory {
  /** Predicted process peak RSS during the stage: baseline + allocator pool + carried + working set. */
  peakBytes: number;
  /** The same with the mapped weights cut to their resident window: what the device must hold (admission). */
  neededBytes: number;
}

export interface MemoryPlan {
  device: MemoryDevice;
  /** What the process holds before the job (host RSS; 0 on a CUDA device, whose memory the host RSS does not show). */
  baselineBytes: number;
  /** Released mappings the native allocator may keep for reuse (AIPROD_MAP_POOL_MB rule), counted at every stage. */
  poolBytes: number;
  stages: PlannedStage[];
  /** Highest predicted RSS of any stage. */
  peakBytes: number;
  /** Highest memory any stage needs (mapped weights beyond their window can stream): the admission figure. */
  neededBytes: number;
  /** The stage that needs the most. */
  peakStage: string;
  /** The VAE decode tiling the job should use. */
  tiling: TilingConfig;
  verdict: MemoryVerdict;
  /** Whether the peak fits the device's free memory now (a worker waits while it does not). */
  fitsNow: boolean;
  message: string;
}

export interface PlanOptions {
  /** Bytes the process holds now (default: this process's RSS on the host, 0 on a CUDA device). */
  baselineBytes?: number;
  /** Allocator pool allowance (default: the native rule, min(256 MiB, RAM/16), or AIPROD_MAP_POOL_MB). */
  poolBytes?: number;
}

const GiB = 2 ** 30;
const fmt = (b: number): string => (b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`);

/** The native map pool's cap (native/runtime/map_pool.cc): what released buffers it may keep resident. */
export function mapPoolBytes(totalBytes: number): number {
  const env = process.env.AIPROD_MAP_POOL_MB;
  if (env !== undefined && /^\d+$/.test(env.trim())) return Number(env) * 2 ** 20;
  return Math.min(256 * 2 ** 20, Math.floor(totalBytes / 16));
}

/** Decode tilings from the default down, largest tile first (spatial tiles multiples of 32, time of 8). */
export function tilingCandidates(): TilingConfig[] {
  const spatial: [number, number][] = [[768, 64], [512, 64], [384, 64], [256, 64], [192, 32], [128, 32], [64, 32]];
  const temporal: [number, number][] = [[80, 24], [48, 24], [32, 16], [16, 8]];
  const out: { t: TilingConfig; volume: number }[] = [];
  for (const [s, so] of spatial) {
    for (const [f, fo] of temporal) {
      out.push({ t: { frames: { tileSize: f, overlap: fo }, height: { tileSize: s, overlap: so }, width: { tileSize: s, overlap: so } }, volume: s * s * f });
    }
  }
  return out.sort((a, b) => b.volume - a.volume).map((c) => c.t);
}

function evaluate(p: ResolvedParams, facts: ModelFacts, baseline: number, pool: number, tiling: TilingConfig): { stages: PlannedStage[]; peak: PlannedStage; rss: number } {
  const stages = stageMemory(p, facts, tiling).map((s) => ({ ...s, peakBytes: baseline + pool + s.carriedBytes + s.workingSetBytes, neededBytes: baseline + pool + s.carriedBytes + s.requiredBytes }));
  const peak = stages.reduce((a, b) => (b.neededBytes > a.neededBytes ? b : a));
  return { stages, peak, rss: Math.max(...stages.map((s) => s.peakBytes)) };
}

/** The largest tiling (default first) whose peak is at most `limit`, or undefined. */
function pickTiling(p: ResolvedParams, facts: ModelFacts, baseline: number, pool: number, limit: number): { tiling: TilingConfig; stages: PlannedStage[]; peak: PlannedStage; rss: number } | undefined {
  for (const tiling of tilingCandidates()) {
    const e = evaluate(p, facts, baseline, pool, tiling);
    if (e.peak.neededBytes <= limit) return { tiling, ...e };
  }
  return undefined;
}

/** The least reduction of frames, or of size (same aspect), that fits `limit` with some tiling; words for the message. */
function smallestChange(p: ResolvedParams, facts: ModelFacts, baseline: number, pool: number, limit: number): string {
  const fits = (q: ResolvedParams) => pickTiling(q, facts, baseline, pool, limit) !== undefined;
  const options: { keep: number; text: string }[] = [];
  for (let f = p.numFrames - 8; f >= 1; f -= 8) {
    if (fits({ ...p, numFrames: f })) {
      options.push({ keep: f / p.numFrames, text: `frames ${f} instead of ${p.numFrames}` });
      break;
    }
  }
  const m = TWO_STAGE.has(p.pipeline) ? 64 : 32;
  for (let k = 1; ; k++) {
    const w = Math.floor((p.width * (1 - k / 32)) / m) * m, h = Math.floor((p.height * (1 - k / 32)) / m) * m;
    if (w < m || h < m) break;
    if (fits({ ...p, width: w, height: h })) {
      options.push({ keep: (w * h) / (p.width * p.height), text: `${w}x${h} instead of ${p.width}x${p.height}` });
      break;
    }
  }
  if (options.length === 0) return "no smaller size or frame count fits: the models' weights alone exceed it";
  options.sort((a, b) => b.keep - a.keep);
  return `the smallest change that fits: ${options.map((o) => o.text).join(", or ")} (with a tiled VAE decode)`;
}

/**
 * Plans `p` on `device`. Admission compares what each stage needs (its RSS with the mapped weights of layered
 * models cut to two layers: the rest is page cache the kernel may drop and re-read) with the device. Fits: the peak with the default decode tiling is within the device's memory; fits with a
 * smaller tile: only a smaller decode tile brings it within; never fits: no tiling does, and the message names the
 * limit and the smallest change that would. `fitsNow` compares the chosen plan with the free memory.
 */
export function planGeneration(p: ResolvedParams, facts: ModelFacts, device: MemoryDevice, opts: PlanOptions = {}): MemoryPlan {
  const baseline = opts.baselineBytes ?? (device.kind === "cpu" ? process.memoryUsage.rss() : 0);
  const pool = opts.poolBytes ?? (device.kind === "cpu" ? mapPoolBytes(device.totalBytes) : 0);
  // What the process may reach now: what it holds plus what is free.
  const available = baseline + device.freeBytes;
  const total = device.totalBytes;
  const dflt = evaluate(p, facts, baseline, pool, DEFAULT_TILING);
  const now = pickTiling(p, facts, baseline, pool, Math.min(available, total));
  const ever = now ?? pickTiling(p, facts, baseline, pool, total);
  const base = { device, baselineBytes: baseline, poolBytes: pool };
  if (!ever) {
    return {
      ...base, stages: dflt.stages, peakBytes: dflt.rss, neededBytes: dflt.peak.neededBytes, peakStage: dflt.peak.stage, tiling: DEFAULT_TILING, verdict: "never_fits", fitsNow: false,
      message: `aiprod.generate: ${p.pipeline} ${p.width}x${p.height}x${p.numFrames} needs ${fmt(dflt.peak.neededBytes)} at its peak (${dflt.peak.stage}: ${dflt.peak.detail}) ` +
        `but the ${device.kind} device has ${fmt(total)} (${total} bytes) of memory, and no VAE tile size brings it within; ${smallestChange(p, facts, baseline, pool, total)}`,
    };
  }
  const chosen = ever;
  const isDefault = JSON.stringify(chosen.tiling) === JSON.stringify(DEFAULT_TILING);
  const verdict: MemoryVerdict = isDefault ? "fits" : "fits_with_smaller_tile";
  const fitsNow = chosen.peak.neededBytes <= available;
  const t = chosen.tiling;
  const tileWords = isDefault ? "the default VAE tiling" : `VAE tiles of ${t.height.tileSize} px / ${t.frames.tileSize} frames (the default ${DEFAULT_TILING.height.tileSize} px / ${DEFAULT_TILING.frames.tileSize} frames does not fit)`;
  return {
    ...base, stages: chosen.stages, peakBytes: chosen.rss, neededBytes: chosen.peak.neededBytes, peakStage: chosen.peak.stage, tiling: t, verdict, fitsNow,
    message: `${p.pipeline} ${p.width}x${p.height}x${p.numFrames}: needs ${fmt(chosen.peak.neededBytes)} in ${chosen.peak.stage} (peak RSS ${fmt(chosen.rss)}) with ${tileWords}; ` +
      (fitsNow ? `fits the ${fmt(device.freeBytes)} free` : `waits: ${fmt(device.freeBytes)} free now of ${fmt(total)}`),
  };
}

/** The error Engine.generate throws for a never-fitting job. */
export function outOfMemoryError(plan: MemoryPlan): AiprodError {
  return new AiprodError("ERR_AIPROD_OUT_OF_MEMORY", plan.message);
}
