// How much of the CPU other processes (or the hypervisor, as steal time) took while the bench ran. The 1-minute
// load average cannot say this: the bench's own threads raise it to the thread count, so a high reading at the
// end was always ours. Here: busy time of all CPUs from /proc/stat minus this process's own CPU time (its
// threads, onnxruntime's in-process pool, and the children it waited for) from /proc/self/stat. Linux only;
// elsewhere the share is null and nothing is claimed.
import { readFileSync } from "node:fs";

/** CPU times in clock ticks (USER_HZ; /proc/stat and /proc/self/stat share the unit). */
export interface CpuTimes {
  /** All CPUs: user, nice, system, irq, softirq and steal (guest time is inside user). */
  busy: number;
  /** busy plus idle and iowait. */
  total: number;
  /** This process: utime, stime, cutime, cstime. */
  own: number;
}

/** Parses the aggregate "cpu" line of /proc/stat and the fields after the command name of /proc/self/stat. */
export function parseCpuTimes(procStat: string, selfStat: string): CpuTimes {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("cpuShare: no aggregate 'cpu' line in /proc/stat");
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const after = selfStat.slice(selfStat.lastIndexOf(")") + 2).split(" ").map(Number);
  const own = after[11]! + after[12]! + after[13]! + after[14]!; // fields 14-17: utime stime cutime cstime
  if (![busy, idle!, iowait!, own].every(Number.isFinite)) throw new Error("cpuShare: unreadable /proc/stat or /proc/self/stat");
  return { busy, total: busy + idle! + iowait!, own };
}

/** The current times, or null where /proc is not there (not Linux). */
export function readCpuTimes(): CpuTimes | null {
  try {
    return parseCpuTimes(readFileSync("/proc/stat", "utf8"), readFileSync("/proc/self/stat", "utf8"));
  } catch {
    return null;
  }
}

/** The fraction (0-1) of all CPU time between two readings that went to anything but this process. */
export function otherCpuShare(start: CpuTimes | null, end: CpuTimes | null): number | null {
  if (!start || !end) return null;
  const total = end.total - start.total;
  if (total <= 0) return null;
  const other = end.busy - start.busy - (end.own - start.own);
  return Math.min(1, Math.max(0, other / total));
}
