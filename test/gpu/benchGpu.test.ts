// `npm run bench:gpu` says exactly what it skipped where there is no GPU (and writes that in its JSON), and the
// kernel bench program itself runs under the emulation (tiny shapes), so the first GPU run is not its first run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { GPU_CASES } from "../../bench/gpu/cases.js";
import { cudaInfo } from "../../src/index.js";

const root = join(import.meta.dirname, "..", "..");
const ready = cudaInfo().state === "ready";

t.test("without a GPU, bench:gpu skips every case and says why", { skip: ready ? "a GPU is present" : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-benchgpu-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "gpu.json");
  const r = spawnSync(process.execPath, ["--import=tsx", join(root, "bench", "gpu", "run.ts"), "--json", file], {
    cwd: root, encoding: "utf8", env: { ...process.env, AIPROD_CUDA_EMULATE: "" },
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /skipped every case: no usable GPU/);
  const report = JSON.parse(readFileSync(file, "utf8")) as { skipped: string; cases: Array<{ case: string; skipped?: string; ours?: unknown }> };
  t.match(report.skipped, /no usable GPU/);
  t.same(report.cases.map((c) => c.case), [...GPU_CASES]);
  t.ok(report.cases.every((c) => c.skipped && !c.ours), "no case carries a number");
  t.match((report as { generation?: { skipped?: string } }).generation?.skipped ?? "", /no usable GPU/);
});

t.test("the generation case runs its stages on the (emulated) device, on the tiny configs", async (t) => {
  const r = spawnSync(process.execPath, ["--import=tsx", join(root, "bench", "gpu", "generation.ts"), "--smoke"], {
    cwd: root, encoding: "utf8", env: { ...process.env, AIPROD_CUDA_EMULATE: "1" },
  });
  t.equal(r.status, 0, r.stderr);
  const g = JSON.parse(r.stdout.trim().split("\n").pop()!) as { stages: Array<{ stage: string; seconds: number; peakDeviceBytes: number }> };
  t.same(g.stages.map((s) => s.stage), ["transformer stage 1", "transformer stage 2", "vae decode"]);
  t.ok(g.stages.every((s) => s.seconds > 0 && s.peakDeviceBytes > 0), "each stage timed, with its device memory");
});

t.test("the kernel bench program runs its cases under the emulation", async (t) => {
  const r = spawnSync(join(root, "build", "Release", "aiprod_cuda_kernel_bench_emu"), ["--smoke"], { encoding: "utf8" });
  t.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { case: string; ms: number; flop: number });
  t.same(rows.map((x) => x.case.split("_")[0]), ["attention", "conv3d", "gemm"]);
  t.ok(rows.every((x) => x.ms > 0 && x.flop > 0));
});
