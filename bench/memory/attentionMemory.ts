// Extra memory our attention needs at a long sequence: run it once in a child process and read the process's
// peak resident memory (VmHWM) against its resident memory just before the call. Reported both with and
// without the output tensor (which any implementation must allocate); the rest is workspace.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface AttentionMemory {
  name: string;
  shape: string;
  /** Peak RSS during the call minus RSS before it, MiB. */
  extra_mib: number;
  /** The output tensor's own size, MiB (part of extra_mib). */
  output_mib: number;
  /** extra_mib - output_mib. */
  workspace_mib: number;
  /** "VmHWM after reset" when /proc/self/clear_refs worked; otherwise the peak includes input setup. */
  method: string;
  seconds: number;
}

const MIB = 1024 * 1024;

export function measureAttentionMemory(B: number, H: number, N: number, D: number): AttentionMemory {
  const child = join(import.meta.dirname, "attentionPeakChild.ts");
  const r = spawnSync(process.execPath, ["--expose-gc", "--import=tsx", child, String(B), String(H), String(N), String(D)], {
    encoding: "utf8",
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`attention memory child failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
  const lines = r.stdout.trim().split("\n");
  const m = JSON.parse(lines[lines.length - 1]!) as { rssBefore: number; hwmAfter: number; outputBytes: number; hwmReset: boolean; seconds: number };
  const extra = (m.hwmAfter - m.rssBefore) / MIB, output = m.outputBytes / MIB;
  return {
    name: "attention-memory",
    shape: `B${B} H${H} N${N} D${D}`,
    extra_mib: extra,
    output_mib: output,
    workspace_mib: extra - output,
    method: m.hwmReset ? "VmHWM after reset" : "VmHWM (not reset: includes input setup)",
    seconds: m.seconds,
  };
}
