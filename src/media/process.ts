// Running ffmpeg asynchronously with data piped in and out (the sync runMediaTool in ffmpeg.ts buffers
// everything; frames of a real video are too large for that and must stream).
import { spawn } from "node:child_process";
import { AiprodError } from "../native/errors.js";
import { findMediaTool, type MediaTool } from "./ffmpeg.js";

export interface MediaProcess {
  /** Writes a chunk to stdin, waiting for the pipe to drain. */
  write(chunk: Uint8Array): Promise<void>;
  /** Closes stdin and resolves with stdout once the tool exits 0 (rejects with its stderr otherwise). */
  finish(): Promise<Buffer>;
  kill(): void;
}

export function startMediaTool(tool: MediaTool, args: readonly string[]): MediaProcess {
  const bin = findMediaTool(tool);
  const child = spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"] });
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
  // EPIPE on stdin is reported by the exit status below; swallowing it here keeps it from crashing the process.
  child.stdin.on("error", () => {});
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", (e) => reject(new AiprodError("ERR_AIPROD_FFMPEG_FAILED", `aiprod.media: could not run ${bin}: ${e.message}`, { cause: e })));
    child.on("close", (code) => resolve(code));
  });
  return {
    async write(chunk) {
      if (!child.stdin.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => { child.stdin.off("drain", done); child.off("close", done); resolve(); };
          child.stdin.on("drain", done);
          child.on("close", done);
        });
      }
    },
    async finish() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new AiprodError("ERR_AIPROD_FFMPEG_FAILED", `aiprod.media: ${tool} exited with ${code}: ${err.trim()}`);
      return Buffer.concat(out);
    },
    kill() {
      child.kill("SIGKILL");
    },
  };
}

/** Runs a tool with `input` on stdin and returns its stdout. */
export async function pipeThrough(tool: MediaTool, args: readonly string[], input?: Uint8Array): Promise<Buffer> {
  const p = startMediaTool(tool, args);
  if (input) await p.write(input);
  return p.finish();
}
