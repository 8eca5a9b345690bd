// The process's true peak resident set since a reset point. Sampling process.memoryUsage.rss() between ops
// misses everything an op allocates and frees inside one native call (a VAE tile's activations live only there),
// so on Linux the kernel's own high-water mark is used: writing "5" to /proc/self/clear_refs resets VmHWM to the
// current RSS, and VmHWM then holds the highest RSS reached since. Elsewhere (or where /proc is not writable) it
// falls back to the sampled RSS, which is a lower bound of the peak.
import { readFileSync, writeFileSync } from "node:fs";

let hwmUsable: boolean | undefined;

/** Whether VmHWM can be reset and read here (Linux with a writable /proc/self/clear_refs). */
export function peakRssIsExact(): boolean {
  if (hwmUsable === undefined) {
    try {
      writeFileSync("/proc/self/clear_refs", "5");
      hwmUsable = readHwm() !== undefined;
    } catch {
      hwmUsable = false;
    }
  }
  return hwmUsable;
}

function readHwm(): number | undefined {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "latin1"));
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * Resets the high-water mark to the current RSS. Process-wide: a meter in another thread loses only the part of
 * its window since its last read, which is why readers fold every read into their own maximum.
 */
export function resetPeakRss(): void {
  if (peakRssIsExact()) writeFileSync("/proc/self/clear_refs", "5");
}

/** The highest RSS since the last reset (exact), or the current RSS where the mark is not available. */
export function peakRss(): number {
  const rss = process.memoryUsage.rss();
  if (!peakRssIsExact()) return rss;
  return Math.max(rss, readHwm() ?? rss);
}
