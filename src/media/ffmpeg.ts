// Locating and running ffmpeg/ffprobe. Order: an explicit path (AIPROD_FFMPEG / AIPROD_FFPROBE), then the
// system's (PATH), then the static builds shipped inside the optional npm packages
// @ffmpeg-installer/<platform>-<arch> and @ffprobe-installer/<platform>-<arch> (binaries are in the tarballs;
// nothing is downloaded at install). Those packages set the executable bit in a postinstall script, which
// `--ignore-scripts` installs skip, so a non-executable packaged binary is chmod-ed, or copied to a private
// temporary folder when its own folder is read-only.
import { spawnSync } from "node:child_process";
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { AiprodError } from "../native/errors.js";

export type MediaTool = "ffmpeg" | "ffprobe";

const ENV: Record<MediaTool, string> = { ffmpeg: "AIPROD_FFMPEG", ffprobe: "AIPROD_FFPROBE" };
const cache = new Map<MediaTool, string>();

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function exeName(tool: MediaTool): string {
  return process.platform === "win32" ? `${tool}.exe` : tool;
}

function fromPath(tool: MediaTool): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, exeName(tool));
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function packaged(tool: MediaTool): string | undefined {
  const pkg = `@${tool}-installer/${process.platform}-${process.arch}`;
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
  const bin = join(dir, exeName(tool));
  if (!existsSync(bin)) return undefined;
  if (isExecutable(bin)) return bin;
  try {
    chmodSync(bin, 0o755);
    if (isExecutable(bin)) return bin;
  } catch {
    // read-only install: fall through to a private copy
  }
  const size = statSync(bin).size;
  const privateDir = join(tmpdir(), `aiprod-${process.getuid?.() ?? "user"}-bin`);
  const copy = join(privateDir, `${tool}-${size}`);
  if (isExecutable(copy)) return copy;
  mkdirSync(privateDir, { recursive: true, mode: 0o700 });
  const tmp = `${copy}.tmp-${process.pid}`;
  copyFileSync(bin, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, copy);
  return copy;
}

/** The path of ffmpeg or ffprobe, or ERR_AIPROD_FFMPEG_NOT_FOUND saying where it looked. */
export function findMediaTool(tool: MediaTool): string {
  // The environment is read on every call (it may change); only the search result is cached.
  const explicit = process.env[ENV[tool]];
  if (explicit) {
    if (!isExecutable(explicit)) throw new AiprodError("ERR_AIPROD_FFMPEG_NOT_FOUND", `aiprod.media: ${ENV[tool]}='${explicit}' is not an executable file`);
    return explicit;
  }
  const hit = cache.get(tool);
  if (hit && isExecutable(hit)) return hit;
  const found = fromPath(tool) ?? packaged(tool);
  if (!found) {
    throw new AiprodError("ERR_AIPROD_FFMPEG_NOT_FOUND",
      `aiprod.media: no ${tool} found: not in ${ENV[tool]}, not on PATH, and the optional package @${tool}-installer/${process.platform}-${process.arch} is not installed`);
  }
  cache.set(tool, found);
  return found;
}

/** Runs a media tool to completion; a non-zero exit throws with the end of its stderr. */
export function runMediaTool(tool: MediaTool, args: readonly string[]): { stdout: string; stderr: string } {
  const bin = findMediaTool(tool);
  const r = spawnSync(bin, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new AiprodError("ERR_AIPROD_FFMPEG_FAILED", `aiprod.media: could not run ${bin}: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0) {
    throw new AiprodError("ERR_AIPROD_FFMPEG_FAILED", `aiprod.media: ${tool} exited with ${r.status ?? r.signal}: ${r.stderr.slice(-2000).trim()}`);
  }
  return { stdout: r.stdout, stderr: r.stderr };
}

export interface ProbedStream {
  index: number;
  codec_type: string;
  codec_name: string;
  channels?: number;
  sample_rate?: string;
  duration?: string;
  nb_frames?: string;
  [key: string]: unknown;
}

/** ffprobe's streams and format of a media file (JSON output). */
export function probeMedia(path: string): { streams: ProbedStream[]; format: Record<string, unknown> } {
  const { stdout } = runMediaTool("ffprobe", ["-v", "error", "-show_streams", "-show_format", "-of", "json", path]);
  const parsed = JSON.parse(stdout) as { streams?: ProbedStream[]; format?: Record<string, unknown> };
  return { streams: parsed.streams ?? [], format: parsed.format ?? {} };
}
