// Device profiles: `aiprod calibrate` measures this machine's stage times at two sizes; a job's device seconds
// are then estimated from its work plan, within 25% of what it takes here at sizes that were not measured.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { calibrate, cpuDeviceClass, createEngine, ensureTinyModels, estimateSeconds, loadProfiles, planWork, resolveParams, saveProfile } from "../../src/pipelines/index.js";

const dir = mkdtempSync(join(tmpdir(), "aiprod-calibrate-test-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test("the estimate predicts the time on the calibrated machine within 25%", async (t) => {
  const engine = createEngine();
  const models = await engine.loadModels(ensureTinyModels());
  const profile = await calibrate(engine, { dir, small: { prompt: "a fox", width: 64, height: 64, numFrames: 9 }, large: { prompt: "a fox", width: 256, height: 256, numFrames: 33 }, repeats: 3 });
  t.equal(profile.deviceClass, cpuDeviceClass());
  t.match(profile.deviceClass, new RegExp(`^cpu:${cpus()[0]!.model.trim().replace(/\s+/g, " ").replace(/[()[\]+.*?^$|\\]/g, "\\$&")} x\\d+$`), "the device class names the CPU model and threads");
  for (const stage of ["text", "stage1", "stage2", "audio", "decode"]) t.ok(profile.stages[stage], `${stage} measured`);
  // Sizes between and beyond the two measured ones; the median of three runs against the estimate (medians on
  // both sides: this machine may be shared).
  for (const size of [{ width: 128, height: 192, numFrames: 25 }, { width: 320, height: 256, numFrames: 41 }]) {
    const params = { prompt: "a fox", ...size, output: join(dir, "x.mp4") };
    const estimate = estimateSeconds(planWork(resolveParams(params, models), models), profile);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push((await engine.generate(params)).seconds);
    const actual = runs.sort((a, b) => a - b)[1]!;
    t.ok(Math.abs(estimate - actual) <= 0.25 * actual, `${size.width}x${size.height}x${size.numFrames}: estimated ${estimate.toFixed(2)} s, took ${actual.toFixed(2)} s`);
  }
});

t.test("profiles are kept per device class", async (t) => {
  const path = join(dir, "profiles", "device-profiles.json");
  const a = { deviceClass: "cpu:A x2", stages: { decode: { fixedSeconds: 0.1, secondsPerFlop: 1e-12 } }, overheadSeconds: 0.5, measuredAt: "2026-01-01T00:00:00Z" };
  saveProfile(path, a);
  saveProfile(path, { ...a, deviceClass: "cuda:H100" });
  saveProfile(path, { ...a, overheadSeconds: 0.7 });
  const all = loadProfiles(path);
  t.same(Object.keys(all).sort(), ["cpu:A x2", "cuda:H100"]);
  t.equal(all["cpu:A x2"]!.overheadSeconds, 0.7, "a new measurement replaces the old one of its class");
  const e = estimateSeconds(new Map([["decode", 1e12], ["unknown", 5]]), all["cpu:A x2"]!);
  t.ok(Math.abs(e - (0.7 + 0.1 + 1)) < 1e-9, `overhead + fixed + per-FLOP; unmeasured stages count nothing (${e})`);
});

t.test("aiprod calibrate writes the profile of this device class", async (t) => {
  const path = join(dir, "cli-profiles.json");
  const out = execFileSync(process.execPath, ["--import=tsx", "src/cli/run.ts", "calibrate", "--profiles", path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  t.match(out, new RegExp(`^cpu:.* x\\d+: overhead [\\d.]+ s; kept in ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  t.ok(JSON.parse(readFileSync(path, "utf8"))[cpuDeviceClass()], "the file holds it under this class");
});
