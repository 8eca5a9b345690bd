// Issue 27 item 11: a per-user upload quota in bytes (before: only the per-file limit, so one user could fill the
// disk file by file), and housekeeping deletes uploads no unfinished job uses once they are old enough.
import { existsSync } from "node:fs";
import t from "tap";
import { openEmbedded } from "../helpers/server.js";
import { SMALL, startJobServer } from "../helpers/jobs.js";

const png = (extra: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(extra, 1)]);

t.test("upload quota per user, and cleanup of unused uploads", async (t) => {
  const tdb = await openEmbedded();
  const ts = await startJobServer(tdb.db, { WORKERS: "0", UPLOAD_MAX_BYTES: "4096", UPLOAD_QUOTA_BYTES_PER_USER: "10000", UPLOAD_UNUSED_TTL_HOURS: "1" });
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
  });
  const [u, other] = [await ts.client.user(), await ts.client.user()];
  const upload = (token: string, body: Buffer) =>
    fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "image/png" }, body });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await upload(u.access, png(2992)); // 3000 bytes each
    t.equal(r.status, 201, `upload ${i + 1}`);
    ids.push(((await r.json()) as { id: string }).id);
  }
  const over = await upload(u.access, png(2992)); // 12000 > 10000
  t.equal(over.status, 413, "the quota is counted over all of the user's uploads");
  const problem = (await over.json()) as { detail: string; "violated-policies": string[] };
  t.same(problem["violated-policies"], ["upload-bytes"]);
  t.match(problem.detail, /limit \(upload-bytes\) is 10000 bytes per user/);
  const perFile = await upload(other.access, png(5000));
  t.equal(perFile.status, 413, "the per-file limit still applies");
  t.notMatch(((await perFile.json()) as { detail: string }).detail, /upload-bytes/, "and says so");
  t.equal((await upload(other.access, png(2992))).status, 201, "another user has a quota of their own");
  t.equal((await ts.client.del(`/api/v1/uploads/${ids[2]}`, { token: u.access })).status, 204);
  t.equal((await upload(u.access, png(2992))).status, 201, "deleting an upload frees its bytes");

  // Cleanup: uploads older than UPLOAD_UNUSED_TTL_HOURS go, unless an unfinished job uses them.
  const job = await ts.client.post("/api/v1/videos/generate", { ...SMALL, images: [{ upload_id: ids[0] }] }, { token: u.access });
  t.equal(job.status, 202, job.text);
  const knex = tdb.db.knex;
  await knex("uploads").update({ created_at: new Date(Date.now() - 2 * 3_600_000) });
  const paths = Object.fromEntries((await knex("uploads").select("id", "path")).map((r: { id: string; path: string }) => [r.id, r.path]));
  await ts.server.pool.tick();
  const left = (await knex("uploads").pluck("id")) as string[];
  t.same(left, [ids[0]], "only the upload a queued job uses is kept");
  t.ok(existsSync(paths[ids[0] as string] as string), "its file too");
  t.notOk(existsSync(paths[ids[1] as string] as string), "the unused ones' files are gone");
});
