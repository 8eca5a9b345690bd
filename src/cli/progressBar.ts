// A one-line progress bar of the whole job (work done out of the job's planned work, workPlan.ts) with its ETA
// and the running stage's own steps, redrawn in place on a TTY and printed once per stage (and every 10% of the
// job) otherwise, so logs stay readable.
import type { Progress } from "../pipelines/types.js";

/** "37% [#########...............] stage1 5/8, ETA 1m02s" */
export function progressLine(p: Progress): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const width = 24, filled = Math.round(frac * width);
  const eta = p.etaSeconds !== undefined && frac < 1 ? `, ETA ${formatSeconds(p.etaSeconds)}` : "";
  return `${String(Math.floor(frac * 100)).padStart(3)}% [${"#".repeat(filled)}${".".repeat(width - filled)}] ${p.stage} ${p.step}/${p.steps}${eta}`;
}

export class ProgressBar {
  #stage = "";
  #lastDecile = -1;
  #open = false;

  constructor(readonly out: NodeJS.WriteStream) {}

  update(p: Progress): void {
    const line = progressLine(p);
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      this.#open = true;
      return;
    }
    const decile = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 0;
    if (p.stage !== this.#stage || decile !== this.#lastDecile) {
      this.#stage = p.stage;
      this.#lastDecile = decile;
      this.out.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.#open && this.out.isTTY) this.out.write("\n");
    this.#open = false;
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
