// workers (who is alive, on which device, doing what) and job_results (one row per completed job).
import type { Knex } from "knex";

type Db = Knex | Knex.Transaction;

export interface WorkerRow {
  id: string;
  hostname: string;
  pid: number;
  device: string;
  status: string;
  current_job_id: string | null;
  started_at: Date;
  heartbeat_at: Date;
  stopped_at: Date | null;
}

export class WorkersRepository {
  constructor(private readonly db: Knex) {}

  async register(w: { id: string; hostname: string; pid: number; device: string }): Promise<void> {
    await this.db("workers").insert({ ...w, status: "idle" }).onConflict("id").merge({ status: "idle", heartbeat_at: this.db.fn.now(), stopped_at: null });
  }

  async beat(id: string, status: string, currentJobId: string | null): Promise<void> {
    await this.db("workers").where({ id }).update({ status, current_job_id: currentJobId, heartbeat_at: this.db.fn.now() });
  }

  async stopped(id: string): Promise<void> {
    await this.db("workers").where({ id }).update({ status: "stopped", current_job_id: null, stopped_at: this.db.fn.now() });
  }

  /** Workers not stopped whose last heartbeat is older than `seconds`. */
  missing(seconds: number): Promise<WorkerRow[]> {
    return this.db<WorkerRow>("workers")
      .whereNull("stopped_at")
      .andWhere("heartbeat_at", "<", this.db.raw("now() - make_interval(secs => ?)", [seconds]))
      .andWhere("heartbeat_at", ">", this.db.raw("now() - interval '1 day'"))
      .orderBy("heartbeat_at");
  }

  async insertResult(trx: Db, r: { jobId: string; attempt: number; workerId: string; outputPath: string; bytes: number; metadata: Record<string, unknown> }): Promise<void> {
    await trx("job_results").insert({ job_id: r.jobId, attempt: r.attempt, worker_id: r.workerId, output_path: r.outputPath, bytes: r.bytes, metadata: r.metadata });
  }

  result(jobId: string): Promise<{ output_path: string; bytes: number; attempt: number; worker_id: string } | undefined> {
    return this.db("job_results").where({ job_id: jobId }).first();
  }
}
