// rate_limit_counters table: sliding-window counters shared by every server instance on the database.
// A window of W seconds is split into buckets (W/60 s, at least 1 s); a hit increments the current bucket in one
// upsert, and the total is the sum of the buckets inside the window.
import type { Knex } from "knex";

export interface WindowCount {
  /** Hits in the window, this one included when it was recorded. */
  total: number;
  /** Seconds until the oldest counted bucket leaves the window (when quota comes back). */
  resetSeconds: number;
}

export class RateLimitRepository {
  constructor(private readonly db: Knex) {}

  private buckets(windowSeconds: number, nowMs: number) {
    const bucketMs = Math.max(1000, Math.floor((windowSeconds * 1000) / 60));
    const bucketStart = Math.floor(nowMs / bucketMs) * bucketMs;
    const windowStart = bucketStart - windowSeconds * 1000 + bucketMs; // buckets fully or partly in the window
    return { bucketMs, bucketStart, windowStart };
  }

  private reset(oldest: Date | null | undefined, windowSeconds: number, bucketMs: number, nowMs: number): number {
    const start = oldest ? oldest.getTime() : Math.floor(nowMs / bucketMs) * bucketMs;
    return Math.max(1, Math.ceil((start + windowSeconds * 1000 - nowMs) / 1000));
  }

  /** Records one hit and returns the window total. */
  async hit(key: string, windowSeconds: number, nowMs = Date.now()): Promise<WindowCount> {
    const { bucketMs, bucketStart, windowStart } = this.buckets(windowSeconds, nowMs);
    const expires = new Date(bucketStart + windowSeconds * 1000 + bucketMs);
    // The CTE's insert is not visible to the sibling selects (same snapshot), so the sum covers the other buckets
    // and the upsert's returned count adds the current one.
    const result = await this.db.raw(
      `with hit as (
         insert into rate_limit_counters (key, window_start, count, expires_at) values (?, ?, 1, ?)
         on conflict (key, window_start) do update set count = rate_limit_counters.count + 1
         returning count
       )
       select (select count from hit) as current,
              coalesce((select sum(count) from rate_limit_counters where key = ? and window_start >= ? and window_start < ?), 0) as others,
              (select min(window_start) from rate_limit_counters where key = ? and window_start >= ? and window_start < ?) as oldest`,
      [key, new Date(bucketStart), expires, key, new Date(windowStart), new Date(bucketStart), key, new Date(windowStart), new Date(bucketStart)],
    );
    const row = (result.rows as Array<{ current: number | string; others: number | string; oldest: Date | null }>)[0];
    const total = Number(row?.current ?? 1) + Number(row?.others ?? 0);
    return { total, resetSeconds: this.reset(row?.oldest ?? new Date(bucketStart), windowSeconds, bucketMs, nowMs) };
  }

  /** Takes back one hit of the current bucket (an attempt that turned out not to count, e.g. a good login). */
  async undo(key: string, windowSeconds: number, nowMs = Date.now()): Promise<void> {
    const { bucketStart } = this.buckets(windowSeconds, nowMs);
    await this.db("rate_limit_counters")
      .where({ key, window_start: new Date(bucketStart) })
      .andWhere("count", ">", 0)
      .update({ count: this.db.raw("count - 1") });
  }

  async clear(key: string): Promise<void> {
    await this.db("rate_limit_counters").where({ key }).del();
  }

  async deleteExpired(now = new Date()): Promise<number> {
    return this.db("rate_limit_counters").where("expires_at", "<", now).del();
  }
}
