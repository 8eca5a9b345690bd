// Shared fixtures of the pipeline tests: one tiny model set per test file and an ffmpeg frame reader.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findMediaTool } from "../../src/media/ffmpeg.js";
import { writeTinyModels } from "../../src/pipelines/tinyModels.js";

export function tinySetup(): { dir: string; files: ReturnType<typeof writeTinyModels> } {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-pipelines-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return { dir, files: writeTinyModels(join(dir, "models")) };
}

/** Decoded RGB bytes of every frame of a video. */
export function rawFrames(path: string): Buffer {
  const r = spawnSync(findMediaTool("ffmpeg"), ["-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], { maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  return r.stdout;
}
