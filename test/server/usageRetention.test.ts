// api_usage retention: housekeeping deletes rows older than API_USAGE_RETENTION_DAYS (the table gets one row per
// authenticated request and only grew), keeps recent ones, and runs at most once per 10 minutes.
import t from "tap";
import { openEmbedded } from "../helpers/server.js";
import { jobServerFor } from "../helpers/jobs.js";

t.test("housekeeping deletes api_usage rows past the retention period", async (t) => {
  const { tdb, ts } = await jobServerFor(t, openEmbedded, { API_USAGE_RETENTION_DAYS: "30" });
  const knex = tdb.db.knex;
  const c = ts.client;
  const u = await c.user();
  t.equal((await c.get("/api/v1/videos", { token: u.access })).status, 200);
  const days = (n: number) => new Date(Date.now() - n * 86_400_000);
  const row = (route: string, created_at: Date) => ({ user_id: null, api_key_id: null, method: "GET", route, status: 200, duration_ms: 1, created_at });
  await knex("api_usage").insert([row("/old/40d", days(40)), row("/old/31d", days(31)), row("/recent/29d", days(29))]);
  const routes = async () => (await knex("api_usage").select("route")).map((r: { route: string }) => r.route);
  t.ok((await routes()).includes("/api/v1/videos"), "real requests are recorded");

  // The background rounds (every 500 ms here) may have run retention already: step the clock past the interval.
  const pool = ts.server.pool;
  const later = Date.now() + 11 * 60_000;
  t.equal(await pool.applyUsageRetention(later), 2, "two rows past 30 days deleted");
  const after = await routes();
  t.notOk(after.includes("/old/40d") || after.includes("/old/31d"), "rows past 30 days are gone");
  t.ok(after.includes("/recent/29d") && after.includes("/api/v1/videos"), "recent rows are kept");

  // Within the 10-minute interval the next round does not delete again; after it, it does.
  await knex("api_usage").insert(row("/old/50d", days(50)));
  t.equal(await pool.applyUsageRetention(later + 5 * 60_000), 0, "5 minutes later: not yet");
  await pool.tick();
  t.ok((await routes()).includes("/old/50d"), "a housekeeping round within the interval leaves it");
  t.equal(await pool.applyUsageRetention(later + 11 * 60_000), 1, "past the interval: deleted");
});
