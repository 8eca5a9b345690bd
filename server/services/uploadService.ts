// Uploads of conditioning images and LoRA files: streamed to the data directory with a size limit, the type
// checked by content (magic bytes / safetensors header), hashed; jobs reference them by id.
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { Request } from "express";
import type { Knex } from "knex";
import type { JobsConfig } from "../config.js";
import type { Principal } from "../http/context.js";
import { MultipartFile, multipartBoundary } from "../http/multipart.js";
import { ApiError, notFound } from "../http/problem.js";
import type { Storage } from "../jobs/storage.js";
import type { UploadRow, UploadsRepository } from "../repositories/uploadsRepository.js";
import { iso } from "../schemas/common.js";

export const IMAGE_TYPES: Record<string, (b: Buffer) => boolean> = {
  "image/png": (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  "image/jpeg": (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  "image/webp": (b) => b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP",
};

/** A safetensors file starts with a little-endian u64 header length and a JSON object. */
export function looksLikeSafetensors(b: Buffer, total: number): boolean {
  if (b.length < 9) return false;
  const n = Number(b.readBigUInt64LE(0));
  return n > 1 && n < 100 * 1024 * 1024 && 8 + n <= total && b[8] === 0x7b;
}

export const uploadView = (u: UploadRow) => ({ id: u.id, kind: u.kind, content_type: u.content_type, bytes: Number(u.bytes), sha256: u.sha256, created_at: iso(u.created_at) as string });

function checkType(kind: "image" | "lora", type: string): void {
  if (kind === "image" && !IMAGE_TYPES[type]) throw new ApiError(415, "unsupported_media_type", `Images must be image/png, image/jpeg or image/webp (sent as the body or as the file part of a multipart/form-data form), not '${type || "no type"}'`);
  if (kind === "lora" && type !== "application/octet-stream") throw new ApiError(415, "unsupported_media_type", "LoRA files are sent as application/octet-stream (a .safetensors file), as the body or as the file part of a multipart/form-data form");
}

export class UploadService {
  constructor(private readonly db: Knex, private readonly repo: UploadsRepository, private readonly storage: Storage, private readonly config: JobsConfig) {}

  /** Housekeeping: deletes uploads past UPLOAD_UNUSED_TTL_HOURS that no unfinished job uses, rows and files. */
  async deleteUnused(now = Date.now()): Promise<number> {
    const rows = await this.repo.deleteUnusedBefore(new Date(now - this.config.uploadUnusedTtlMs));
    for (const r of rows) rmSync(r.path, { force: true });
    return rows.length;
  }

  async receive(req: Request, who: Principal, kind: "image" | "lora") {
    const header = req.headers["content-type"] ?? "";
    let type = header.split(";")[0]?.trim().toLowerCase() ?? "";
    // Two ways to send the file: the raw bytes with their own Content-Type, or a multipart/form-data form (browsers,
    // curl -F, most client libraries) whose file part names its type.
    const form = type === "multipart/form-data" ? new MultipartFile(multipartBoundary(header)) : undefined;
    if (!form) checkType(kind, type);
    // Per file (UPLOAD_MAX_BYTES) and per user (UPLOAD_QUOTA_BYTES_PER_USER: what the user's uploads may use
    // together): the stream stops at whichever leaves less; the quota is checked again under a lock at the end.
    const quota = this.config.uploadQuotaBytesPerUser;
    const used = await this.repo.bytesOf(who.user.id);
    const overQuota = (size: number, usedNow = used) =>
      new ApiError(413, "payload_too_large", `Your uploads would use ${usedNow + size} bytes; the limit (upload-bytes) is ${quota} bytes per user: delete uploads you no longer need (DELETE /api/v1/uploads/{id}); unused ones are deleted ${Math.round(this.config.uploadUnusedTtlMs / 3_600_000)} h after upload`,
        { "violated-policies": ["upload-bytes"] });
    const max = Math.min(this.config.uploadMaxBytes, Math.max(0, quota - used));
    const tooLargeError = () => (this.config.uploadMaxBytes <= quota - used ? new ApiError(413, "payload_too_large", `Uploads are limited to ${this.config.uploadMaxBytes} bytes`) : overQuota(size));
    // A form adds its boundaries and part headers to the file: allowed for on the wire, the file itself is
    // counted below (the parser's output).
    const wireMax = form ? max + 64 * 1024 : max;
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (Number.isFinite(declared) && declared > wireMax) throw this.config.uploadMaxBytes < declared ? new ApiError(413, "payload_too_large", `Uploads are limited to ${this.config.uploadMaxBytes} bytes`) : overQuota(declared);
    const id = randomUUID();
    const final = this.storage.uploadPath(who.user.id, id);
    const tmp = `${final}.part`;
    const hash = createHash("sha256");
    let size = 0;
    let head = Buffer.alloc(0);
    // pipeline(), not req.pipe(out): from a request already destroyed (the client left while the route was
    // authenticating) pipe() never ended `out`, so 'finish' never came: the handler hung with the .part file open
    // and left on disk. pipeline() settles in every case; any failure removes the .part file.
    const out = createWriteStream(tmp, { mode: 0o600 });
    const abort = new AbortController();
    let tooLarge: ApiError | undefined;
    const limit = () => {
      tooLarge = tooLargeError();
      abort.abort(tooLarge); // stops the pipeline (it destroys the request and the file stream)
    };
    let wire = 0;
    if (form) req.on("data", (c: Buffer) => (wire += c.length) > wireMax && !tooLarge && limit());
    (form ?? req).on("data", (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > max) return limit();
      if (head.length < 64) head = Buffer.concat([head, c.subarray(0, 64)]);
      hash.update(c);
    });
    try {
      await (form ? pipeline(req, form, out, { signal: abort.signal }) : pipeline(req, out, { signal: abort.signal }));
    } catch (e) {
      // pipeline() destroyed the request, so the rest of its body is never read and its socket stays paused: close
      // the connection once the error response is sent, or it stayed open (and server.close() waited on it).
      if (req.res && !req.res.headersSent) req.res.setHeader("Connection", "close");
      // The file stream may still be opening: wait for its close, or the open would create the file again after
      // the removal (and its descriptor would outlive the request).
      out.destroy();
      if (!out.closed) await new Promise<void>((r) => out.once("close", () => r()));
      rmSync(tmp, { force: true });
      if (tooLarge) throw tooLarge;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE") throw new ApiError(400, "bad_request", "The upload was interrupted");
      throw e;
    }
    if (form) {
      // The part's own type; a LoRA part may come without one (or as octet-stream): its content decides.
      type = form.contentType || (kind === "lora" ? "application/octet-stream" : "");
      try {
        checkType(kind, type);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
    }
    const valid = kind === "image" ? (IMAGE_TYPES[type] as (b: Buffer) => boolean)(head) : looksLikeSafetensors(head, size);
    if (size === 0 || !valid) {
      rmSync(tmp, { force: true });
      throw new ApiError(415, "unsupported_media_type", kind === "image" ? `The content is not a ${type} image` : "The content is not a safetensors file");
    }
    renameSync(tmp, final);
    const digest = hash.digest("hex");
    // Two uploads of one user streamed at once both started under the quota: count again, serialized per user.
    const row = await this.db.transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`uploads:${who.user.id}`]);
      const usedNow = await this.repo.bytesOf(who.user.id, trx);
      if (usedNow + size > quota) return overQuota(size, usedNow);
      return this.repo.insert({ id, user_id: who.user.id, kind, content_type: type, bytes: size, sha256: digest, path: final }, trx);
    });
    if (row instanceof ApiError) {
      rmSync(final, { force: true });
      throw row;
    }
    req.audit.resourceId = row.id;
    return uploadView(row);
  }

  async delete(who: Principal, id: string): Promise<void> {
    const row = await this.repo.deleteOwned(who.user.id, id);
    if (!row) throw notFound("Upload");
    rmSync(row.path, { force: true });
  }
}
