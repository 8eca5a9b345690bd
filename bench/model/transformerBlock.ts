// One LTX-2 19B transformer block on CPU (issue: model core, performance): runs in a child process so its
// peak resident memory is its own; reports seconds, GFLOP/s and the fraction of the bf16/f32 FMA peak.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface TransformerBlockResult {
  name: "transformer-block-19b";
  shape: string;
  seconds: number;
  gflops: number;
  /** GFLOP/s over the bf16 dot-product peak when the CPU has one (the block's GEMMs are bf16), else f32. */
  fraction_of_peak: number;
  peak_kind: "bf16" | "f32";
  /** Peak RSS during the forward minus RSS before it (activations and workspaces; weights were resident). */
  extra_mib: number;
  /** Peak RSS of the process (weights of one block + heads, inputs, activations). */
  peak_mib: number;
}

export function measureTransformerBlock(peakGflops: number, peakKind: "bf16" | "f32"): TransformerBlockResult {
  const child = join(import.meta.dirname, "transformerBlockChild.ts");
  const r = spawnSync(process.execPath, ["--import=tsx", child], { encoding: "utf8", timeout: 1_800_000, maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`transformer block child failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
  const lines = r.stdout.trim().split("\n");
  const m = JSON.parse(lines[lines.length - 1]!) as { seconds: number; flops: number; rssBefore: number; hwmAfter: number; tokens: { video: number; audio: number; text: number } };
  const gflops = m.flops / m.seconds / 1e9;
  return {
    name: "transformer-block-19b",
    shape: `${m.tokens.video} video + ${m.tokens.audio} audio tokens, ${m.tokens.text} text, bf16 weights`,
    seconds: m.seconds,
    gflops,
    fraction_of_peak: gflops / peakGflops,
    peak_kind: peakKind,
    extra_mib: (m.hwmAfter - m.rssBefore) / 2 ** 20,
    peak_mib: m.hwmAfter / 2 ** 20,
  };
}
