// Progress in units of work across the whole job (the plan of workPlan.ts), with an ETA: the library's events,
// the audio stage reporting as it goes (it sat at 0/1 for most of a tiny run), and the CLI's line.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { progressLine } from "../../src/cli/progressBar.js";
import { createEngine, ensureTinyModels, inspectModels, resolveParams } from "../../src/pipelines/index.js";
import type { Progress } from "../../src/pipelines/types.js";
import { planWork, totalWork } from "../../src/pipelines/workPlan.js";

const dir = mkdtempSync(join(tmpdir(), "aiprod-progress-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const files = ensureTinyModels();

t.test("the plan weighs the stages by their work", async (t) => {
  const models = inspectModels(files);
  const p = resolveParams({ prompt: "x", width: 128, height: 128, numFrames: 9, output: join(dir, "a.mp4") }, models);
  const plan = planWork(p, models);
  t.same([...plan.keys()].sort(), ["audio", "decode", "stage1", "stage2", "text", "upsample"], "the stages distilled runs");
  for (const [stage, units] of plan) t.ok(units > 0 && Number.isFinite(units), `${stage}: ${units.toExponential(2)} FLOPs`);
  const bigger = planWork({ ...p, numFrames: 17 }, models);
  t.ok(bigger.get("stage1")! > plan.get("stage1")! && bigger.get("decode")! > plan.get("decode")!, "more frames, more work");
  t.ok(totalWork(bigger) > totalWork(plan));
});

t.test("generate() reports the whole job's work done, every stage in proportion, and an ETA", async (t) => {
  const engine = createEngine();
  await engine.loadModels(files);
  const seen: Progress[] = [];
  await engine.generate({ prompt: "a fox", width: 128, height: 128, numFrames: 9, output: join(dir, "b.mp4") }, { onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
  const total = seen[0]!.total;
  t.ok(total > 0, "a total from the start");
  t.ok(seen.every((p) => p.total === total), "the same total throughout");
  t.ok(seen.every((p, i) => i === 0 || p.done >= seen[i - 1]!.done), "work done never goes back");
  t.equal(seen.at(-1)!.done, total, "and reaches the total");
  const audio = seen.filter((p) => p.stage === "audio");
  t.ok(new Set(audio.map((p) => p.step)).size > 3, `the audio stage reports as it goes (${audio.map((p) => `${p.step}/${p.steps}`).join(" ")})`);
  t.ok(audio.at(-1)!.done > audio[0]!.done, "and its work counts while it runs");
  const withEta = seen.filter((p) => p.etaSeconds !== undefined);
  t.ok(withEta.length > 3, "an ETA once work is done");
  t.ok(withEta.every((p) => p.etaSeconds! >= 0 && Number.isFinite(p.etaSeconds!)));
  t.ok(withEta.at(-1)!.etaSeconds! < 1, `and it comes down to 0 (last: ${withEta.at(-1)!.etaSeconds})`);
});

t.test("the CLI line shows the job's share, the stage and the ETA", async (t) => {
  t.equal(progressLine({ stage: "audio", step: 3, steps: 14, done: 25, total: 100, etaSeconds: 75 }), " 25% [######..................] audio 3/14, ETA 1m15s");
  t.equal(progressLine({ stage: "decode", step: 9, steps: 9, done: 100, total: 100 }), "100% [########################] decode 9/9");
});
