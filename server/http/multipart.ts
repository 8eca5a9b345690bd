// The file part of a multipart/form-data request body (RFC 7578), streamed: what browsers, curl -F and most
// HTTP client libraries send for a file upload. The transform outputs the bytes of the first part that carries a
// filename (or is named "file"), skips the other parts, and fails on a body that ends before its closing
// boundary, so a cut-off upload is never stored as complete.
import { Transform, type TransformCallback } from "node:stream";
import { ApiError } from "./problem.js";

const CRLF = Buffer.from("\r\n");
const HEADERS_END = Buffer.from("\r\n\r\n");
/** Part headers larger than this are not a file upload's. */
const MAX_HEADER_BYTES = 16 * 1024;

const bad = (detail: string) => new ApiError(400, "bad_request", `multipart/form-data: ${detail}`);

/** The boundary parameter of a multipart/form-data Content-Type (quoted or not); a 400 when it has none. */
export function multipartBoundary(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  if (!b) throw bad("the Content-Type has no boundary parameter (e.g. multipart/form-data; boundary=xyz); let your HTTP client set it");
  return b;
}

type State = "preamble" | "afterBoundary" | "headers" | "body" | "skip" | "done";

export class MultipartFile extends Transform {
  /** Content-Type of the file part (lower case, no parameters); "" when the part declares none. */
  contentType = "";
  filename: string | undefined;
  #delimiter: Buffer;
  #buf: Buffer = CRLF; // the body starts with "--boundary"; a leading CRLF makes every delimiter "\r\n--boundary"
  #state: State = "preamble";
  #found = false;

  constructor(boundary: string) {
    super();
    this.#delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.#state === "done") return done();
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    try {
      this.#run();
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.#state !== "done") return done(bad("the body ended before the closing boundary (an interrupted upload?)"));
    if (!this.#found) return done(bad("no file part; send the file as a part with a filename (curl -F file=@path)"));
    done();
  }

  #run(): void {
    for (;;) {
      const b = this.#buf;
      if (this.#state === "preamble" || this.#state === "body" || this.#state === "skip") {
        const at = b.indexOf(this.#delimiter);
        const keep = at >= 0 ? at : Math.max(0, b.length - this.#delimiter.length + 1);
        if (this.#state === "body" && keep > 0) this.push(b.subarray(0, keep));
        if (at < 0) {
          this.#buf = b.subarray(keep);
          return;
        }
        this.#buf = b.subarray(at + this.#delimiter.length);
        if (this.#state === "body") {
          this.#state = "done"; // the rest (other fields, the epilogue) is not read into the file
          this.#buf = Buffer.alloc(0);
          return;
        }
        this.#state = "afterBoundary";
      } else if (this.#state === "afterBoundary") {
        if (b.length < 2) return;
        if (b[0] === 0x2d && b[1] === 0x2d) {
          // "--": the closing boundary; only valid here when no file part came.
          this.#state = "done";
          this.#buf = Buffer.alloc(0);
          return;
        }
        const eol = b.indexOf(CRLF);
        if (eol < 0) {
          if (b.length > 256) throw bad("malformed boundary line");
          return;
        }
        this.#buf = b.subarray(eol); // headers end with an empty line; keeping the CRLF finds it as "\r\n\r\n"
        this.#state = "headers";
      } else if (this.#state === "headers") {
        const end = b.indexOf(HEADERS_END);
        if (end < 0) {
          if (b.length > MAX_HEADER_BYTES) throw bad(`part headers longer than ${MAX_HEADER_BYTES} bytes`);
          return;
        }
        const headers = b.subarray(2, end).toString("latin1").split("\r\n");
        this.#buf = b.subarray(end + HEADERS_END.length);
        // The part's bytes run up to the next "\r\n--boundary" (found at offset 0 when the part is empty).
        this.#state = this.#part(headers) ? "body" : "skip";
      } else {
        return;
      }
    }
  }

  /** Reads one part's headers; true when it is the file. */
  #part(lines: string[]): boolean {
    let disposition = "", type = "";
    for (const l of lines) {
      const i = l.indexOf(":");
      if (i < 0) continue;
      const name = l.slice(0, i).trim().toLowerCase(), value = l.slice(i + 1).trim();
      if (name === "content-disposition") disposition = value;
      if (name === "content-type") type = value.split(";")[0]!.trim().toLowerCase();
    }
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    const field = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (this.#found || (filename === undefined && field !== "file")) return false;
    this.#found = true;
    this.contentType = type;
    this.filename = filename;
    return true;
  }
}
