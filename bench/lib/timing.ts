// Wall times of a callable: warm-up runs first (untimed), then `repeat` timed runs. Reported as the median of
// all samples, not the mean or the best, so one descheduled run does not move the number and one lucky run does
// not either. `cleanup` (freeing an output) runs outside the timed region.
import { performance } from "node:perf_hooks";

export async function timeRuns<R>(fn: () => R | Promise<R>, warmup: number, repeat: number, cleanup?: (r: R) => void): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    const r = await fn();
    cleanup?.(r);
  }
  const samples: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const r = await fn();
    samples.push((performance.now() - t0) / 1000);
    cleanup?.(r);
  }
  return samples;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error("median of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function gflops(flops: number, seconds: number): number {
  return flops / seconds / 1e9;
}
