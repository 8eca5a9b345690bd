// Requests that wait for their job (`Prefer: wait=N`): bounded per user and in total, and served by one shared
// poll per process instead of one per request. Before, 200 waiting requests polled the database four times a
// second each: on the embedded database (one connection) every other request, other users' included, queued
// behind them for up to a minute. Over a bound, a request does not wait: it is answered at once (202, without
// Preference-Applied, as RFC 7240 allows a server to ignore a preference).
import type { JobState } from "./stateMachine.js";
import { isFinished } from "./stateMachine.js";

export interface WaiterLimits {
  perUser: number;
  total: number;
  pollMs: number;
}

interface Waiter {
  jobId: string;
  done: () => void;
}

export class JobWaiters {
  private readonly waiters = new Set<Waiter>();
  private readonly perUser = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly statuses: (ids: string[]) => Promise<Array<{ id: string; status: JobState }>>,
    private readonly limits: WaiterLimits,
  ) {}

  /** Requests waiting now (all users). */
  get size(): number {
    return this.waiters.size;
  }

  /**
   * Waits until the job finishes, `ms` pass, or `stop` aborts. Returns false at once, without waiting, when the
   * user or the process already has its bound of waiting requests.
   */
  async wait(userId: string, jobId: string, ms: number, stop: AbortSignal): Promise<boolean> {
    const mine = this.perUser.get(userId) ?? 0;
    if (mine >= this.limits.perUser || this.waiters.size >= this.limits.total) return false;
    this.perUser.set(userId, mine + 1);
    try {
      await new Promise<void>((resolve) => {
        const w: Waiter = { jobId, done: () => finish() };
        const timeout = setTimeout(() => finish(), ms);
        const finish = () => {
          clearTimeout(timeout);
          stop.removeEventListener("abort", finish);
          this.waiters.delete(w);
          resolve();
        };
        if (stop.aborted) return finish();
        stop.addEventListener("abort", finish, { once: true });
        this.waiters.add(w);
        this.schedule();
      });
    } finally {
      const n = (this.perUser.get(userId) ?? 1) - 1;
      if (n > 0) this.perUser.set(userId, n);
      else this.perUser.delete(userId);
    }
    return true;
  }

  private schedule(): void {
    if (this.timer || this.waiters.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => this.schedule());
    }, this.limits.pollMs);
    this.timer.unref();
  }

  /** One query for every waited job; finished jobs release their waiters. */
  private async poll(): Promise<void> {
    const ids = [...new Set([...this.waiters].map((w) => w.jobId))];
    if (!ids.length) return;
    let rows: Array<{ id: string; status: JobState }>;
    try {
      rows = await this.statuses(ids);
    } catch {
      return; // the database is away: the waiters time out or try again at the next poll
    }
    const done = new Set(rows.filter((r) => isFinished(r.status)).map((r) => r.id));
    for (const w of [...this.waiters]) if (done.has(w.jobId)) w.done();
  }
}
