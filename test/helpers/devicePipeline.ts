// The distilled pipeline on the tiny model set, once on the CPU and once on cuda, compared frame by frame: shared
// by test/cuda/pipeline.test.ts (under the emulation) and test/gpu/pipeline.test.ts (on a real GPU).
import { join } from "node:path";
import type { Test } from "tap";
import { createEngine } from "../../src/pipelines/engine.js";
import { rawFrames, tinySetup } from "../pipelines/helpers.js";

export async function compareDevicePipeline(t: Test): Promise<void> {
  const { dir, files } = tinySetup();
  const request = { pipeline: "distilled" as const, prompt: "a red fox", width: 64, height: 64, numFrames: 9, fps: 24, seed: 3 };
  const cpu = createEngine({ device: "cpu" });
  await cpu.loadModels({ ...files, loras: [] });
  const gpu = createEngine({ device: "cuda" });
  t.equal(gpu.device, "cuda");
  await gpu.loadModels({ ...files, loras: [] });
  const a = await cpu.generate({ ...request, output: join(dir, "cpu.mp4") });
  const b = await gpu.generate({ ...request, output: join(dir, "cuda.mp4") });
  t.equal(b.frames, a.frames);
  t.ok(b.stages.length > 0 && b.stages.every((s) => typeof s.peakDeviceBytes === "number"), "every stage reports its peak device memory");
  t.ok(b.stages.some((s) => (s.peakDeviceBytes ?? 0) > 0), "the models used device memory");
  t.ok(a.stages.every((s) => s.peakDeviceBytes === undefined), "a CPU run reports no device memory");
  const fa = rawFrames(a.output), fb = rawFrames(b.output);
  t.equal(fb.length, fa.length);
  // The tiny random models amplify any rounding difference over the denoising steps (8-bit frames after H.264):
  // two CPU paths of this engine on this very request, AIPROD_ISA=ref against avx512, differ by a mean of 3.3
  // of 255 (max 61), measured. The device must agree with the CPU as well as the CPU agrees with itself; a wrong
  // kernel gives tens of levels (the transformer-level comparison in test/cuda/modelForward.test.ts is tight).
  let sum = 0, worst = 0;
  for (let i = 0; i < fa.length; i++) {
    const d = Math.abs(fa[i]! - fb[i]!);
    sum += d;
    worst = Math.max(worst, d);
  }
  const mean = sum / fa.length;
  t.ok(mean < 5, `mean |difference| ${mean.toFixed(3)} of 255 (max ${worst}); the CPU's own paths differ by 3.3`);
}
