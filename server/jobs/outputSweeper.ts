// Files left under outputs/ that nothing will use (issue 27 item 16): half-written temporaries of killed workers,
// whole files of attempts that were reclaimed, every file of a failed, cancelled or deleted job, and, for a
// completed job, any file that is not its result. A worker normally removes its own files; one killed mid-job
// cannot. Only files older than `minAgeMs` are removed: the file of an attempt that is still running is never
// touched (the attempt a worker holds now is always kept, whatever its age).
import { readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Knex } from "knex";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ATTEMPT_FILE = /^attempt-(\d+)-\d+\.mp4/; // also matches the backends' temporaries (attempt-1-0.mp4.tmp.mp4)
const UNFINISHED = new Set(["received", "planning", "approved", "processing", "qa_check", "finalizing"]);
const LEASED = new Set(["processing", "qa_check", "finalizing"]);

interface JobFacts {
  id: string;
  status: string;
  attempt: number;
  output_path: string | null;
}

export interface SweepResult {
  files: number;
  folders: number;
}

/** Sweeps `outputsDir`; returns what was removed. */
export async function sweepOutputs(db: Knex, outputsDir: string, minAgeMs: number, now = Date.now()): Promise<SweepResult> {
  let dirs: string[];
  try {
    dirs = readdirSync(outputsDir).filter((d) => UUID.test(d));
  } catch {
    return { files: 0, folders: 0 }; // no outputs yet
  }
  const out: SweepResult = { files: 0, folders: 0 };
  for (let i = 0; i < dirs.length; i += 500) {
    const batch = dirs.slice(i, i + 500);
    const rows = (await db("jobs as j")
      .leftJoin("job_results as r", "r.job_id", "j.id")
      .whereIn("j.id", batch)
      .select("j.id", "j.status", "j.attempt", "r.output_path")) as JobFacts[];
    const facts = new Map(rows.map((r) => [r.id, r]));
    for (const dir of batch) {
      const job = facts.get(dir);
      const folder = join(outputsDir, dir);
      let files: string[];
      try {
        files = readdirSync(folder);
      } catch {
        continue;
      }
      for (const f of files) {
        const path = join(folder, f);
        const keep =
          job !== undefined &&
          ((job.output_path !== null && resolve(job.output_path) === resolve(path)) ||
            // the attempt a worker holds now (a job back in the queue has no attempt running)
            (LEASED.has(job.status) && Number(ATTEMPT_FILE.exec(f)?.[1] ?? -1) >= job.attempt));
        if (keep) continue;
        try {
          if (now - statSync(path).mtimeMs < minAgeMs) continue;
          rmSync(path, { force: true, recursive: true });
          out.files++;
        } catch {
          // gone meanwhile
        }
      }
      try {
        if (readdirSync(folder).length === 0 && (job === undefined || !UNFINISHED.has(job.status))) {
          rmSync(folder, { recursive: true, force: true });
          out.folders++;
        }
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}
