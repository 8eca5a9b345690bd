// The memory a job can use: a device description the planner takes. The host's is read from the OS (the cgroup
// limit when the process runs in a container, since that is what the kernel enforces); a CUDA device's comes from
// the caller (cudaMemGetInfo through the CUDA library), because tensors on it do not count in the host's RSS.
import { existsSync, readFileSync } from "node:fs";
import { freemem, totalmem } from "node:os";
import { cudaInfo } from "../../runtime/info.js";

export interface MemoryDevice {
  kind: "cpu" | "cuda";
  /** All the memory the device has for this process (never-fits limit). */
  totalBytes: number;
  /** What is free now (the admission limit). */
  freeBytes: number;
}

function readNumber(path: string): number | undefined {
  try {
    if (!existsSync(path)) return undefined;
    const v = readFileSync(path, "utf8").trim();
    return /^\d+$/.test(v) ? Number(v) : undefined;
  } catch {
    return undefined;
  }
}

/** MemAvailable (free + reclaimable page cache), which is what a new allocation can get without swapping. */
function memAvailable(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "latin1"));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return freemem();
}

/** The host as a memory device: RAM or the cgroup v2 limit, whichever is smaller. */
export function hostMemoryDevice(): MemoryDevice {
  let total = totalmem(), free = memAvailable();
  const limit = readNumber("/sys/fs/cgroup/memory.max");
  const used = readNumber("/sys/fs/cgroup/memory.current");
  if (limit !== undefined && limit < total) {
    total = limit;
    if (used !== undefined) free = Math.min(free, Math.max(0, limit - used));
  }
  return { kind: "cpu", totalBytes: total, freeBytes: free };
}

/**
 * The first CUDA device as a memory device (total and free memory as the driver reports them when probed), or
 * undefined without one. Tensors on it do not show in the host's RSS, so a CUDA plan has no host baseline.
 */
export function cudaMemoryDevice(): MemoryDevice | undefined {
  const d = cudaInfo().devices[0];
  return d ? { kind: "cuda", totalBytes: d.totalMemory, freeBytes: d.freeMemory } : undefined;
}
