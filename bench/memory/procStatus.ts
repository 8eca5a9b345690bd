// Resident memory of this process from /proc/self/status (Linux), in bytes, and a reset of its high-water
// mark: writing 5 to /proc/self/clear_refs sets VmHWM back to the current RSS (Linux 4.0+), so the peak of
// one call can be read without the history of everything before it.
import { readFileSync, writeFileSync } from "node:fs";

function field(name: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  if (!m) throw new Error(`/proc/self/status has no ${name}`);
  return Number(m[1]) * 1024;
}

export const rssBytes = (): number => field("VmRSS");
export const hwmBytes = (): number => field("VmHWM");

/** True when the high-water mark was reset to the current RSS. */
export function resetHwm(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}
