// QA of a generated video before it is stored: the file exists and is a valid MP4 (ffprobe), with the requested
// size, frame count and duration; a few frames decoded to raw RGB are finite, not blank (pixel variance) and not
// frozen (frames differ). A failed check retries the generation with a new seed a bounded number of times.
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { findMediaTool, probeMedia } from "../../src/media/ffmpeg.js";

export interface QaExpectation {
  width: number;
  height: number;
  frames: number;
  fps: number;
}

export interface QaVerdict {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
  bytes: number;
}

/** Decodes `count` evenly spaced frames scaled to a small size; resolves with one RGB buffer per frame. */
function sampleFrames(path: string, totalFrames: number, count: number, w: number, h: number): Promise<Buffer[]> {
  const step = Math.max(1, Math.floor(totalFrames / count));
  const args = ["-v", "error", "-i", path, "-vf", `select='not(mod(n\\,${step}))',scale=${w}:${h}`, "-vsync", "vfr", "-frames:v", String(count), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"];
  return new Promise((resolve, reject) => {
    const child = spawn(findMediaTool("ffmpeg"), args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()).length > 4000 && (err = err.slice(-4000)));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg could not decode the output: ${err.trim().slice(-500)}`));
      const all = Buffer.concat(chunks);
      const size = w * h * 3;
      const frames: Buffer[] = [];
      for (let o = 0; o + size <= all.length; o += size) frames.push(all.subarray(o, o + size));
      resolve(frames);
    });
  });
}

function stats(frame: Buffer): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (const v of frame) {
    s += v;
    s2 += v * v;
  }
  const mean = s / frame.length;
  return { mean, variance: s2 / frame.length - mean * mean };
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs((a[i] as number) - (b[i] as number));
  return d / a.length;
}

export const QA_THRESHOLDS = { minVariance: 4, minFrameDiff: 0.5, durationTolerance: 0.15 } as const;

export async function inspectVideo(path: string, want: QaExpectation): Promise<QaVerdict> {
  const checks: QaVerdict["checks"] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  if (!existsSync(path)) {
    add("exists", false, "no output file");
    return { ok: false, checks, bytes: 0 };
  }
  const bytes = statSync(path).size;
  add("exists", bytes > 0, `${bytes} bytes`);
  let probe;
  try {
    probe = probeMedia(path);
  } catch (e) {
    add("container", false, (e as Error).message.slice(0, 300));
    return { ok: false, checks, bytes };
  }
  const fmt = String(probe.format.format_name ?? "");
  add("container", fmt.includes("mp4"), `format ${fmt}`);
  const v = probe.streams.find((s) => s.codec_type === "video");
  if (!v) {
    add("video_stream", false, "no video stream");
    return { ok: false, checks, bytes };
  }
  const width = Number(v.width);
  const height = Number(v.height);
  add("size", width === want.width && height === want.height, `${width}x${height}, requested ${want.width}x${want.height}`);
  const frames = Number(v.nb_frames);
  add("frames", frames === want.frames, `${frames} frames, requested ${want.frames}`);
  const duration = Number(v.duration ?? probe.format.duration);
  const expected = want.frames / want.fps;
  add("duration", Number.isFinite(duration) && Math.abs(duration - expected) <= Math.max(QA_THRESHOLDS.durationTolerance * expected, 1 / want.fps),
    `${duration.toFixed(3)} s, expected ${expected.toFixed(3)} s`);
  try {
    const sw = Math.min(64, want.width);
    const sh = Math.min(64, want.height);
    const sample = await sampleFrames(path, Number.isFinite(frames) ? frames : want.frames, 4, sw, sh);
    add("decodes", sample.length >= 2, `${sample.length} sampled frames decoded`);
    if (sample.length >= 1) {
      const st = sample.map(stats);
      const finite = st.every((s) => Number.isFinite(s.mean) && Number.isFinite(s.variance));
      add("finite", finite, finite ? "pixel statistics finite" : "non-finite pixel statistics");
      const minVar = Math.min(...st.map((s) => s.variance));
      add("not_blank", minVar >= QA_THRESHOLDS.minVariance, `lowest frame variance ${minVar.toFixed(2)}`);
    }
    if (sample.length >= 2) {
      let maxDiff = 0;
      for (let i = 1; i < sample.length; i++) maxDiff = Math.max(maxDiff, meanAbsDiff(sample[i - 1] as Buffer, sample[i] as Buffer));
      add("not_frozen", maxDiff >= QA_THRESHOLDS.minFrameDiff, `largest mean difference between sampled frames ${maxDiff.toFixed(2)}`);
    }
  } catch (e) {
    add("decodes", false, (e as Error).message.slice(0, 300));
  }
  return { ok: checks.every((c) => c.ok), checks, bytes };
}
