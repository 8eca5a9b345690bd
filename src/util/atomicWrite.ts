// Writes a file through a temporary file beside it and a rename, so a crash or an error never leaves a
// half-written file under the real name (checkpoints, WAV, media outputs).
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";

/** Runs `write(fd)` on a temporary file, then renames it to `path`; on error the temporary file is removed. */
export function writeAtomically(path: string, write: (fd: number) => void): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, "w");
  let open = true;
  try {
    write(fd);
    closeSync(fd);
    open = false;
    renameSync(tmp, path);
  } catch (e) {
    if (open) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes all of `buf` to `fd`. */
export function writeAll(fd: number, buf: Uint8Array): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
}
