// `npm run bench -- --filter pipeline-distilled`: the distilled pipeline end to end on the tiny built-in model
// set at 256x256, 17 frames, through the public engine (worker thread), with per-stage seconds and peak RSS.
// The tiny weights make this a measure of the pipeline machinery (text path, VAE, ffmpeg), not of 19B compute.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type StageReport, writeTinyModels } from "../../src/index.js";

export interface PipelineBenchResult {
  name: string;
  width: number;
  height: number;
  frames: number;
  seconds: number;
  stages: StageReport[];
}

export async function measureDistilledPipeline(): Promise<PipelineBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-bench-pipeline-"));
  try {
    const files = writeTinyModels(join(dir, "models"));
    const engine = createEngine({ device: "cpu" });
    await engine.loadModels({ ...files, loras: [] });
    const r = await engine.generate({ pipeline: "distilled", prompt: "a red fox running through snow", width: 256, height: 256, numFrames: 17, output: join(dir, "out.mp4") });
    return { name: "pipeline-distilled", width: r.width, height: r.height, frames: r.frames, seconds: r.seconds, stages: r.stages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatPipelineBench(r: PipelineBenchResult): string {
  const rows = r.stages.map((s) => `  ${s.stage.padEnd(14)} ${s.seconds.toFixed(2).padStart(7)} s  peak RSS ${(s.peakRssBytes / 2 ** 20).toFixed(0).padStart(5)} MiB`);
  return [`${r.name}: ${r.width}x${r.height}, ${r.frames} frames, ${r.seconds.toFixed(2)} s total`, ...rows].join("\n");
}
