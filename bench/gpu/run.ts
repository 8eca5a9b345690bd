// `npm run bench:gpu -- [--json FILE]`: the CUDA kernels against PyTorch on the same GPU, in the same run.
// Ours: build/Release/aiprod_cuda_kernel_bench (CUDA events, median of 10 after 2 warm-ups); the peer:
// bench/gpu/torch_peer.py (the same shapes, timed the same way). Ratios are peer time / our time (> 1: ours is
// faster). Where there is no GPU (or no PyTorch), it prints exactly what it skipped and why, and the JSON says
// so; it never reports a number it did not measure.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cudaInfo } from "../../src/index.js";
import { GPU_CASES } from "./cases.js";
import { type GenerationResult, measureGeneration } from "./generation.js";

interface Row { case: string; ms: number; runs: number; flop: number; tflops: number }
interface Report {
  date: string;
  device: string | null;
  skipped?: string;
  peer?: Record<string, unknown> | { skipped: string };
  cases: Array<{ case: string; ours?: Row; peer?: Row; ratio?: number; skipped?: string }>;
  generation?: GenerationResult | { skipped: string };
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function main(): number {
  const { values } = parseArgs({ options: { json: { type: "string" }, help: { type: "boolean" } } });
  if (values.help) {
    console.log("usage: npm run bench:gpu -- [--json FILE]\n  attention, conv3d and GEMM on the GPU against PyTorch (SDPA, cuDNN conv3d, cuBLAS matmul)");
    return 0;
  }
  const root = join(import.meta.dirname, "..", "..");
  const report: Report = { date: new Date().toISOString(), device: null, cases: [] };
  const finish = (code: number): number => {
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + "\n");
    return code;
  };
  const cuda = cudaInfo();
  if (cuda.state !== "ready" || cuda.devices.length === 0) {
    report.skipped = `no usable GPU: CUDA ${cuda.state} (${cuda.reason ?? "no device"})`;
    console.log(`bench:gpu: skipped every case: ${report.skipped}`);
    for (const name of GPU_CASES) {
      console.log(`  skipped ${name}`);
      report.cases.push({ case: name, skipped: report.skipped });
    }
    console.log("  skipped distilled_768x512x121_19b (the generation case)");
    report.generation = { skipped: report.skipped };
    return finish(0);
  }
  report.device = cuda.devices[0]!.name;
  const program = join(root, "build", "Release", "aiprod_cuda_kernel_bench");
  if (!existsSync(program)) {
    console.error(`bench:gpu: ${program} was not built (the CUDA build failed or was switched off; see build/cuda-build.log)`);
    return finish(1);
  }
  console.log(`bench:gpu on ${report.device}`);
  const ours = spawnSync(program, [], { encoding: "utf8", maxBuffer: 16 << 20 });
  const oursRows = jsonLines(ours.stdout ?? "");
  const peerRun = spawnSync("python3", [join(import.meta.dirname, "torch_peer.py")], { encoding: "utf8", maxBuffer: 16 << 20 });
  const peerRows = peerRun.error ? [{ skipped: `python3 not runnable: ${peerRun.error.message}` }] : jsonLines(peerRun.stdout ?? "");
  const peerSkip = peerRows.find((r) => "skipped" in r)?.skipped as string | undefined;
  report.peer = peerSkip ? { skipped: peerSkip } : ((peerRows.find((r) => "meta" in r)?.meta as Record<string, unknown>) ?? {});
  if (peerSkip) console.log(`  peer skipped: ${peerSkip}`);
  for (const name of GPU_CASES) {
    const o = oursRows.find((r) => r.case === name) as Row | undefined;
    const p = peerRows.find((r) => r.case === name) as Row | undefined;
    const entry: Report["cases"][number] = { case: name };
    if (o) entry.ours = o;
    if (p) entry.peer = p;
    if (o && p) entry.ratio = p.ms / o.ms;
    if (!o) entry.skipped = `ours did not run: ${(oursRows.find((r) => "error" in r)?.error as string) ?? ours.stderr?.trim() ?? "no output"}`;
    report.cases.push(entry);
    const fmt = (r?: Row) => (r ? `${r.ms.toFixed(3)} ms ${r.tflops.toFixed(1)} TFLOP/s` : "-");
    console.log(`  ${name.padEnd(34)} ours ${fmt(o).padEnd(26)} torch ${fmt(p).padEnd(26)} ${entry.ratio ? `${entry.ratio.toFixed(2)}x` : entry.skipped ?? ""}`);
  }
  // One distilled generation's transformer steps and VAE decode with random 19B weights, whole and per stage.
  try {
    const g = measureGeneration(false);
    report.generation = g;
    console.log(`  ${g.case}: ${g.seconds.toFixed(2)} s (block weights ${g.blockWeights}; excluded: ${g.excluded.join(", ")})`);
    for (const st of g.stages) console.log(`    ${st.stage.padEnd(22)} ${st.seconds.toFixed(2).padStart(8)} s  peak device ${(st.peakDeviceBytes / 2 ** 30).toFixed(2)} GiB`);
  } catch (e) {
    report.generation = { skipped: `failed: ${(e as Error).message}` };
    console.log(`  generation case failed: ${(e as Error).message}`);
    return finish(1);
  }
  return finish(ours.status === 0 ? 0 : 1);
}

process.exitCode = main();
