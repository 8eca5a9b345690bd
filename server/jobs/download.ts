// GET /api/v1/videos/{id}/download: the MP4 with single-range support (RFC 9110 section 14); 410 once the
// output's retention has ended; 409 while the job has no output.
import { createReadStream, existsSync, statSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import { ApiError } from "../http/problem.js";
import type { JobRow } from "../repositories/jobsRepository.js";

export type ByteRange = { start: number; end: number };

/** undefined: no usable Range (serve the whole file); "unsatisfiable": 416. Multiple ranges are served whole. */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  if (a === "" && b === "") return undefined;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

export async function sendOutput(req: Request, res: Response, job: JobRow, outputPath: string | undefined): Promise<void> {
  const expired = job.status === "expired" || (job.status === "completed" && job.expires_at !== null && new Date(job.expires_at).getTime() <= Date.now());
  if (expired) throw new ApiError(410, "gone", "This video's retention period has ended; it was deleted");
  if (job.status !== "completed" || !outputPath) throw new ApiError(409, "conflict", `The job is ${job.status}; there is no video to download`);
  if (!existsSync(outputPath)) throw new ApiError(410, "gone", "The video file is no longer stored");
  const size = statSync(outputPath).size;
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") throw new ApiError(416, "range_not_satisfiable", `The file has ${size} bytes`, {}, { "Content-Range": `bytes */${size}` });
  res.setHeader("Accept-Ranges", "bytes");
  res.setHeader("Content-Type", "video/mp4");
  res.setHeader("Content-Disposition", `attachment; filename="${job.id}.mp4"`);
  res.setHeader("Cache-Control", "private, no-store");
  const { start, end } = range ?? { start: 0, end: size - 1 };
  if (range) {
    res.status(206);
    res.setHeader("Content-Range", `bytes ${start}-${end}/${size}`);
  } else res.status(200);
  res.setHeader("Content-Length", String(end - start + 1));
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  // pipeline(), not stream.pipe(res): a client that disconnected before we got here (auth and database lookups
  // come first; video players routinely abort Range requests) left `res` destroyed with its 'close' already
  // emitted, so pipe() waited forever for 'drain' with the file open (its descriptor, and the disk space of a file
  // deleted later) and this promise never settled. pipeline() destroys the file stream when either side ends early.
  try {
    await pipeline(createReadStream(outputPath, { start, end }), res);
  } catch (e) {
    // The client left (before or during the body): nothing to report. A read error has destroyed the response
    // too (the client sees a cut-off body); it goes on to the error handler to be logged.
    if ((e as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") throw e;
  }
}
