// The results: a table for people, JSON for tools (bench/RESULTS.md is written from it).
import type { AttentionMemory } from "../memory/attentionMemory.js";
import type { TransformerBlockResult } from "../model/transformerBlock.js";
import type { VaeDecodeResult } from "../vae/decode.js";

export interface PeerVariant {
  peer: string;
  gflops: number;
  seconds: number;
}

export interface CaseResult {
  name: string;
  shape: string;
  flops: number;
  /** null when our op is not available (or failed: see ours_status). */
  ours_gflops: number | null;
  ours_seconds: number | null;
  /** "ok", "not available: ..." or "error: ...". */
  ours_status: string;
  /** The fastest peer formulation, e.g. "onnxruntime-node 1.30.0 Gemm(transB=1)". */
  peer: string;
  peer_gflops: number;
  peer_seconds: number;
  peer_variants: PeerVariant[];
  /** ours_gflops / peer_gflops */
  ratio: number | null;
  /** ours_gflops / the measured f32 FMA peak */
  ours_fraction_of_peak: number | null;
  peer_fraction_of_peak: number;
  /** max |ours - peer| / max |peer| on this case's data; null without ours. */
  check_rel_err: number | null;
  /** Above this, the table flags the case: ours computes something else and its speed is not comparable. */
  check_tolerance: number;
}

export interface BenchReport {
  /**
   * load_avg: 1-minute load average at start and end (the end includes the bench's own threads).
   * other_cpu_share: the fraction of all CPU time during the run that went to other processes or to steal
   * (bench/lib/cpuShare.ts); null where it cannot be read.
   */
  machine: {
    cpu: string; threads: number; isa: string; peak_threads: number;
    load_avg: { start: number; end: number }; other_cpu_share: number | null;
  };
  date: string;
  peer: string;
  /** Best of several measurements (the samples), in GFLOP/s. */
  peaks: { f32_gflops: number; f32_isa: string; bf16_gflops: number | null; f32_samples: number[]; bf16_samples: number[] | null };
  settings: { repeat: number; rounds: number; warmup: number; statistic: "median" };
  entries: CaseResult[];
  memory: AttentionMemory[];
  models?: TransformerBlockResult[];
  vae?: VaeDecodeResult[];
}

const fmt = (v: number | null, digits = 1): string => (v === null ? "-" : v.toFixed(digits));
const pct = (v: number | null): string => (v === null ? "-" : `${(v * 100).toFixed(1)}%`);

/** Above this share of the CPUs going to other work during the run, the report warns. */
export const OTHER_WORK_WARN = 0.05;

/**
 * A warning when other work shared the CPUs during the run, or null. Measured where it can be (Linux); elsewhere
 * only a load average above half the threads at the start is taken as a sign (the end's includes our own).
 */
export function otherWorkNote(machine: BenchReport["machine"]): string | null {
  const share = machine.other_cpu_share;
  if (share !== null) {
    if (share <= OTHER_WORK_WARN) return null;
    return `note: other processes or steal took ${(share * 100).toFixed(1)}% of the CPU time during the run: numbers are low and noisy`;
  }
  const { start } = machine.load_avg;
  if (start <= machine.threads * 0.5) return null;
  return `note: load average ${start.toFixed(2)} at start on ${machine.threads} threads: other work may have shared the CPUs`;
}

export function formatTable(report: BenchReport): string {
  const header = ["case", "shape", "ours GFLOP/s", "peer GFLOP/s", "ours/peer", "ours % peak", "peer % peak", "peer"];
  const rows = report.entries.map((e) => [
    e.name,
    e.shape,
    e.ours_gflops === null ? `not available` : fmt(e.ours_gflops),
    fmt(e.peer_gflops),
    e.ratio === null ? "-" : e.ratio.toFixed(2),
    pct(e.ours_fraction_of_peak),
    pct(e.peer_fraction_of_peak),
    e.peer.replace(/^onnxruntime-node \S+ /, ""),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  const notes = report.entries.filter((e) => e.ours_status !== "ok").map((e) => `${e.name}: ours ${e.ours_status}`);
  for (const e of report.entries) {
    if (e.check_rel_err !== null && !(e.check_rel_err <= e.check_tolerance)) {
      notes.push(`${e.name}: WARNING ours differs from the peer by ${e.check_rel_err.toExponential(2)} of the output's max (tolerance ${e.check_tolerance})`);
    }
  }
  if (notes.length) out.push("", ...notes);
  for (const m of report.memory) {
    out.push("", `${m.name} ${m.shape}: extra ${m.extra_mib.toFixed(0)} MiB over the inputs (output ${m.output_mib.toFixed(0)} MiB, workspace ${formatWorkspace(m.workspace_mib)}; ${m.method})`);
  }
  for (const m of report.models ?? []) {
    out.push("", `${m.name} (${m.shape}): ${m.seconds.toFixed(1)} s, ${m.gflops.toFixed(1)} GFLOP/s = ${(100 * m.fraction_of_peak).toFixed(1)}% of the ${m.peak_kind} peak; peak RSS ${m.peak_mib.toFixed(0)} MiB (+${m.extra_mib.toFixed(0)} MiB during the forward)`);
  }
  return out.join("\n");
}

// The workspace is a difference of two resident-set readings, and other memory of the process (the JS heap) can
// shrink during the call: below 1 MiB it is reported as such, not as a small or negative number.
function formatWorkspace(mib: number): string {
  return mib < 1 ? "under 1 MiB" : `${mib.toFixed(0)} MiB`;
}
