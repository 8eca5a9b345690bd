// Median wall time of a callable: warm-up runs first (untimed), then `repeat` timed runs. The median, not the
// mean or the best, so one descheduled run does not move the number and one lucky run does not either.
// `cleanup` (freeing an output) runs outside the timed region.
import { performance } from "node:perf_hooks";

export interface Timing {
  medianSeconds: number;
  samples: number[];
}

export async function timeMedian<R>(fn: () => R | Promise<R>, warmup: number, repeat: number, cleanup?: (r: R) => void): Promise<Timing> {
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
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianSeconds = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { medianSeconds, samples };
}

export function gflops(flops: number, seconds: number): number {
  return flops / seconds / 1e9;
}
