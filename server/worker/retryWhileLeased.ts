// A worker's writes to the database (state changes, completion, failure) are retried with backoff while the
// database is unreachable and the worker still holds the job's lease. Before, a failed `processing -> qa_check`
// write was taken for a generation failure: the finished video was discarded, recording the failure failed too,
// and the worker went on to claim another job while still holding the first until its lease expired.
import { isDatabaseUnavailable } from "../db/unavailable.js";
import { sleep } from "../util/sleep.js";

export interface LeaseClock {
  /** When the lease runs out (ms since the epoch), as last renewed. */
  leaseUntil(): number;
}

export class LeaseLostError extends Error {
  constructor(what: string) {
    super(`lease ran out while retrying: ${what}`);
    this.name = "LeaseLostError";
  }
}

/**
 * Runs `write`; when the database is unavailable, tries again (100 ms doubling to 2 s) until it succeeds or the
 * lease runs out (then LeaseLostError: the reaper gives the job to another worker). Other errors pass through.
 */
export async function retryWhileLeased<T>(what: string, write: () => Promise<T>, lease: LeaseClock, onRetry?: (e: unknown, tries: number) => void): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await write();
    } catch (e) {
      if (!isDatabaseUnavailable(e)) throw e;
      const wait = Math.min(2000, 100 * 2 ** (tries - 1));
      if (Date.now() + wait >= lease.leaseUntil()) throw new LeaseLostError(what);
      onRetry?.(e, tries);
      await sleep(wait);
    }
  }
}
