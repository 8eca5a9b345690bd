// Where job outputs and uploads live: under the data directory (shared by every worker and API instance, e.g. a
// network volume when workers run on other machines). Output names carry the attempt and QA round, so a stale
// attempt can never overwrite the file of a newer one.
import { mkdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";

export class Storage {
  readonly outputs: string;
  readonly uploads: string;
  readonly loras: string;

  constructor(dataDir: string) {
    this.outputs = join(dataDir, "outputs");
    this.uploads = join(dataDir, "uploads");
    this.loras = join(dataDir, "loras");
  }

  /** The file an attempt writes; its folder is created. */
  outputPath(jobId: string, attempt: number, round: number): string {
    const dir = join(this.outputs, jobId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return join(dir, `attempt-${attempt}-${round}.mp4`);
  }

  removeJob(jobId: string): void {
    rmSync(join(this.outputs, jobId), { recursive: true, force: true });
  }

  /** Removes the job's output folder if it is empty (a failed or cancelled job's files are gone, not its folder). */
  removeJobDirIfEmpty(jobId: string): void {
    try {
      rmdirSync(join(this.outputs, jobId));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOENT") throw e;
    }
  }

  uploadPath(userId: string, id: string): string {
    const dir = join(this.uploads, userId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return join(dir, id);
  }

  /** A LoRA installed on the server by name (names are validated by the request schema: no path separators). */
  loraPath(name: string): string {
    return join(this.loras, name);
  }
}
