// The bench harness (bench/lib/runCase) end to end on tiny shapes: with ops written in plain JS standing in
// for the engine's (which are merged separately), it must time both sides, pick the fastest peer formulation,
// compare outputs in the right layout (MultiHeadAttention's [B,N,H*D]; conv3d from frame 2, where causal
// padding modes agree), and report "not available" or the error when our op is missing or wrong.
import t from "tap";
import { attentionCase, conv3dCase, gemmCase } from "../../bench/cases.js";
import type { OurOps } from "../../bench/lib/ours.js";
import { parseBenchArgs } from "../../bench/lib/args.js";
import { type BenchReport, formatTable } from "../../bench/lib/report.js";
import { runCase } from "../../bench/lib/runCase.js";
import { Tensor } from "../../src/index.js";
import { naiveAttention, naiveConv3d, naiveLinear } from "../helpers/naiveOps.js";

const opts = { warmup: 1, repeat: 2, rounds: 2 };
const PEAK = 100;

const jsOps: OurOps = {
  linear: (x, w) => {
    const [M, K] = x.shape as [number, number], N = w.shape[0]!;
    return Tensor.from(Float32Array.from(naiveLinear(x.toFloat32(), w.toFloat32(), M, K, N)), [M, N]);
  },
  attention: (q, k, v, o) => {
    const [B, H, Nq, D] = q.shape as [number, number, number, number], Nk = k.shape[2]!;
    const out = naiveAttention(q.toFloat32(), k.toFloat32(), v.toFloat32(), B, H, Nq, Nk, D, o?.scale ?? 1 / Math.sqrt(D));
    return Tensor.from(Float32Array.from(out), q.shape);
  },
  conv3d: (x, w) => {
    const [B, Cin, T, H, W] = x.shape as [number, number, number, number, number], Cout = w.shape[0]!;
    return Tensor.from(Float32Array.from(naiveConv3d(x.toFloat32(), w.toFloat32(), B, Cin, Cout, T, H, W)), [B, Cout, T, H, W]);
  },
};

// A report around the given entries or memory lines, for formatTable.
function testReport(parts: Partial<Pick<BenchReport, "entries" | "memory">>): BenchReport {
  return {
    machine: { cpu: "test", threads: 2, isa: "avx512", peak_threads: 2, load_avg: { start: 0, end: 0 }, other_cpu_share: 0 },
    date: "",
    peer: "",
    peaks: { f32_gflops: PEAK, f32_isa: "avx512", bf16_gflops: null, f32_samples: [PEAK], bf16_samples: null },
    settings: { ...opts, statistic: "median" },
    entries: [],
    memory: [],
    ...parts,
  };
}

t.test("each op kind: timed, checked against the fastest peer, fractions of peak", async (t) => {
  for (const c of [gemmCase(8, 16, 4, "f32"), gemmCase(8, 16, 4, "bf16"), attentionCase("attn", 1, 2, 8, 5, 4), conv3dCase(3, 2, 4, 5, 6)]) {
    const r = await runCase(c, jsOps, opts, 2, PEAK);
    t.equal(r.ours_status, "ok", `${c.name}: ours ran`);
    t.ok(r.ours_gflops! > 0 && r.peer_gflops > 0, `${c.name}: both timed`);
    t.ok(r.check_rel_err! < 1e-5, `${c.name}: outputs agree (${r.check_rel_err})`);
    t.equal(r.peer_variants.length, c.name === "attn" || c.name.startsWith("gemm") ? 2 : 1, `${c.name}: every formulation measured`);
    t.equal(r.peer_gflops, Math.max(...r.peer_variants.map((v) => v.gflops)), `${c.name}: fastest peer reported`);
    t.match(r.peer, /^onnxruntime-node \d+\.\d+\.\d+ /);
    t.equal(r.ratio, r.ours_gflops! / r.peer_gflops);
    t.equal(r.ours_fraction_of_peak, r.ours_gflops! / PEAK);
  }
});

t.test("ours is timed in every round: one checked run, then warm-up and timed runs per round", async (t) => {
  let calls = 0;
  const counting: OurOps = { linear: (x, w) => { calls++; return jsOps.linear!(x, w); } };
  const r = await runCase(gemmCase(8, 16, 4, "f32"), counting, { warmup: 1, repeat: 2, rounds: 3 }, 2, PEAK);
  t.equal(r.ours_status, "ok");
  t.equal(calls, 1 + 3 * (1 + 2));
});

t.test("missing and wrong ops are reported, the peer is still measured", async (t) => {
  const missing = await runCase(gemmCase(8, 16, 4, "f32"), {}, opts, 2, PEAK);
  t.match(missing.ours_status, /^not available/);
  t.equal(missing.ours_gflops, null);
  t.equal(missing.ratio, null);
  t.ok(missing.peer_gflops > 0);
  const wrongShape: OurOps = { linear: (x) => Tensor.zeros([x.shape[0]!, 3]) };
  const wrong = await runCase(gemmCase(8, 16, 4, "f32"), wrongShape, opts, 2, PEAK);
  t.match(wrong.ours_status, /^error: output shape \[8,3\], expected \[8,4\]/);
  const throwing: OurOps = { linear: () => { throw new Error("boom"); } };
  t.match((await runCase(gemmCase(8, 16, 4, "f32"), throwing, opts, 2, PEAK)).ours_status, "error: boom");
});

t.test("a shape-correct but wrong op is flagged in the table", async (t) => {
  const off: OurOps = { linear: (x, w) => Tensor.zeros([x.shape[0]!, w.shape[0]!]) };
  const r = await runCase(gemmCase(8, 16, 4, "f32"), off, opts, 2, PEAK);
  t.equal(r.check_rel_err, 1, "zeros differ by the whole output");
  t.match(formatTable(testReport({ entries: [r] })), /gemm-f32: WARNING ours differs from the peer by 1\.00e\+0/);
});

t.test("attention memory line: workspace from two RSS readings, under 1 MiB said so", async (t) => {
  const mem = (workspace: number) => ({ name: "attention-memory", shape: "B1 H16 N16384 D128", extra_mib: 128 + workspace, output_mib: 128, workspace_mib: workspace, method: "VmHWM after reset", seconds: 1 });
  t.match(formatTable(testReport({ memory: [mem(-2)] })), /output 128 MiB, workspace under 1 MiB;/);
  t.match(formatTable(testReport({ memory: [mem(5.2)] })), /output 128 MiB, workspace 5 MiB;/);
});

t.test("command line", async (t) => {
  t.same(parseBenchArgs(["--json", "out.json", "--filter", "gemm", "--repeat", "7"]), { json: "out.json", filter: "gemm", repeat: 7, rounds: 3, warmup: 1, peakSeconds: 0.5, help: false });
  t.same(parseBenchArgs(["--rounds", "5"]).rounds, 5);
  t.throws(() => parseBenchArgs(["--repeat", "0"]), /--repeat must be an integer >= 1/);
  t.throws(() => parseBenchArgs(["--rounds", "0"]), /--rounds must be an integer >= 1/);
  t.throws(() => parseBenchArgs(["--bogus"]));
});
