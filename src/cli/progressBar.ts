// A one-line progress bar with the ETA of the current stage, redrawn in place on a TTY and printed once per stage
// (and every 10%) otherwise, so logs stay readable.
import type { Progress } from "../pipelines/types.js";

export class ProgressBar {
  #stage = "";
  #stageStart = 0;
  #lastDecile = -1;
  #open = false;

  constructor(readonly out: NodeJS.WriteStream) {}

  update(p: Progress): void {
    const now = performance.now();
    if (p.stage !== this.#stage) {
      if (this.#open && this.out.isTTY) this.out.write("\n");
      this.#stage = p.stage;
      this.#stageStart = now;
      this.#lastDecile = -1;
    }
    const frac = p.steps > 0 ? Math.min(1, p.step / p.steps) : 0;
    const elapsed = (now - this.#stageStart) / 1000;
    const eta = frac > 0 && frac < 1 ? `ETA ${formatSeconds((elapsed / frac) * (1 - frac))}` : frac >= 1 ? `${formatSeconds(elapsed)}` : "";
    const width = 24, filled = Math.round(frac * width);
    const line = `${p.stage.padEnd(14)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${p.step}/${p.steps} ${eta}`;
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      this.#open = true;
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.#lastDecile) {
        this.#lastDecile = decile;
        this.out.write(`${line}\n`);
      }
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
