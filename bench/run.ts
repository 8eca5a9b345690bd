// `npm run bench`: our CPU kernels against onnxruntime-node (MLAS) measured in the same run on the same number
// of threads, and both against this CPU's measured FMA peak. See README "Benchmarks".
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { type FmaPeak, getInfo, measureFmaPeak } from "../src/index.js";
import { CASES } from "./cases.js";
import { parseBenchArgs, USAGE } from "./lib/args.js";
import { otherCpuShare, readCpuTimes } from "./lib/cpuShare.js";
import { log } from "./lib/log.js";
import { ourOps } from "./lib/ours.js";
import { type BenchReport, type CaseResult, formatTable, otherWorkNote } from "./lib/report.js";
import { runCase } from "./lib/runCase.js";
import { type AttentionMemory, measureAttentionMemory } from "./memory/attentionMemory.js";
import { measureTransformerBlock, type TransformerBlockResult } from "./model/transformerBlock.js";
import { formatPipelineBench, measureDistilledPipeline } from "./pipeline/distilled.js";
import { peerVersion } from "./onnx/session.js";
import { formatVaeDecode, type VaeDecodeResult, vaeDecodeBench } from "./vae/decode.js";

const PEAK_TRIES = 5;

type Peak = FmaPeak & { samples: number[] };

/**
 * The best of several measurements, taken before the cases and again after them: a peak is what the machine
 * can do, and on a shared (virtual) machine any one measurement can lose cycles to neighbours.
 */
function bestPeak(kind: "f32" | "bf16", seconds: number, earlier?: Peak): Peak {
  const runs = Array.from({ length: PEAK_TRIES }, () => measureFmaPeak({ kind, seconds }));
  const best = runs.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  const samples = [...(earlier?.samples ?? []), ...runs.map((r) => r.gflops)];
  return earlier && earlier.gflops >= best.gflops ? { ...earlier, samples } : { ...best, samples };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const loadStart = loadavg()[0]!;
  const cpuStart = readCpuTimes();
  const info = getInfo();
  const threads = info.threads;
  log(`aiprod bench: ${info.cpu.brand}, ${threads} threads, kernel path ${info.isa}; peer ${peerVersion()}`);
  // Peaks first, while no onnxruntime thread pool exists to compete for the cores.
  let f32 = bestPeak("f32", args.peakSeconds);
  let bf16 = info.cpu.features.avx512_bf16 ? bestPeak("bf16", args.peakSeconds) : null;
  log(`FMA peak (start): f32 ${f32.gflops.toFixed(1)} GFLOP/s (${f32.isa}, ${f32.threads} pinned threads)` +
    (bf16 ? `, bf16 dot products ${bf16.gflops.toFixed(1)} GFLOP/s` : ", bf16: no AVX512_BF16"));

  const ops = ourOps();
  const cases = CASES.filter((c) => !args.filter || c.name.includes(args.filter));
  const entries: CaseResult[] = [];
  for (const c of cases) entries.push(await runCase(c, ops, args, threads, f32.gflops));

  const memory: AttentionMemory[] = [];
  if (!args.filter || "attention-memory".includes(args.filter)) {
    if (ops.attention) {
      log("attention-memory: running our attention at N=16384 H16 D128 in a child process");
      memory.push(measureAttentionMemory(1, 16, 16384, 128));
    } else {
      log("attention-memory: skipped (ours: not available)");
    }
  }

  // The model-level case has no peer in this run (onnxruntime has no LTX-2 graph): seconds, GFLOP/s and the
  // fraction of this CPU's measured peak, plus peak memory. Opt-in by name: it takes minutes on small machines.
  const models: TransformerBlockResult[] = [];
  if (args.filter && "transformer-block-19b".includes(args.filter)) {
    log("transformer-block-19b: one 19B block (random weights) at 6144 video + 126 audio tokens in a child process");
    const block = measureTransformerBlock(bf16?.gflops ?? f32.gflops, bf16 ? "bf16" : "f32");
    log(`transformer-block-19b: ${block.seconds.toFixed(1)} s, ${block.gflops.toFixed(1)} GFLOP/s (${(100 * block.fraction_of_peak).toFixed(1)}% of the ${block.peak_kind} peak), ` +
      `peak RSS ${block.peak_mib.toFixed(0)} MiB (+${block.extra_mib.toFixed(0)} MiB during the forward)`);
    models.push(block);
  }

  const vae: VaeDecodeResult[] = [];
  if (args.filter && "vae-decode".includes(args.filter)) {
    log("vae-decode: the LTX-2 19B VAE decoder (random weights), 25 frames at 256x256, then tiled 81 vs 161 frames at 128x128");
    const r = vaeDecodeBench(25, 256, [81, 161]);
    log(formatVaeDecode(r, 25, 256));
    vae.push(r);
  }

  // End-to-end distilled pipeline on the tiny model set; opt-in by name like the block above.
  if (args.filter && "pipeline-distilled".includes(args.filter)) {
    log("pipeline-distilled: distilled pipeline end to end (tiny built-in models, 256x256, 17 frames)");
    log(formatPipelineBench(await measureDistilledPipeline()));
  }

  // Again after the cases (a quieter moment may come), then the fractions use the best of all samples.
  f32 = bestPeak("f32", args.peakSeconds, f32);
  if (bf16) bf16 = bestPeak("bf16", args.peakSeconds, bf16);
  for (const e of entries) {
    e.ours_fraction_of_peak = e.ours_gflops === null ? null : e.ours_gflops / f32.gflops;
    e.peer_fraction_of_peak = e.peer_gflops / f32.gflops;
  }
  for (const m of models) m.fraction_of_peak = m.gflops / (m.peak_kind === "bf16" && bf16 ? bf16.gflops : f32.gflops);
  log(`FMA peak (best of start and end): f32 ${f32.gflops.toFixed(1)} GFLOP/s${bf16 ? `, bf16 ${bf16.gflops.toFixed(1)} GFLOP/s` : ""}`);

  const report: BenchReport = {
    machine: { cpu: info.cpu.brand, threads, isa: info.isa, peak_threads: f32.threads, load_avg: { start: loadStart, end: loadavg()[0]! }, other_cpu_share: otherCpuShare(cpuStart, readCpuTimes()) },
    date: new Date().toISOString(),
    peer: peerVersion(),
    peaks: { f32_gflops: f32.gflops, f32_isa: f32.isa, bf16_gflops: bf16?.gflops ?? null, f32_samples: f32.samples, bf16_samples: bf16?.samples ?? null },
    settings: { repeat: args.repeat, rounds: args.rounds, warmup: args.warmup, statistic: "median" },
    entries,
    memory,
    models,
    vae,
  };
  console.log(`\n${formatTable(report)}`);
  console.log(`\nFMA peak f32 ${f32.gflops.toFixed(1)} GFLOP/s${bf16 ? `, bf16 ${bf16.gflops.toFixed(1)} GFLOP/s` : ""}; ${threads} threads; ${report.date}` +
    (report.machine.other_cpu_share !== null ? `; other work ${(report.machine.other_cpu_share * 100).toFixed(1)}% of the CPU time` : ""));
  const busy = otherWorkNote(report.machine);
  if (busy) console.log(busy);
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${args.json}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
