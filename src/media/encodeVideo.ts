// MP4 output like upstream media_io/encode.py: libx264, CRF 19, preset veryfast, yuv420p tagged BT.709, frame
// rate int(fps), AAC stereo audio in the same file. Frames stream into ffmpeg as they are decoded; the file
// appears under its final name only when complete (temporary name + rename), never half-written.
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { AiprodError } from "../native/errors.js";
import { muxAudio } from "./mux.js";
import { startMediaTool } from "./process.js";
import type { PcmAudio } from "./wav.js";

export const DEFAULT_CRF = 19;

export interface EncodeVideoOptions {
  width: number;
  height: number;
  fps: number;
  crf?: number;
  audio?: PcmAudio;
}

/** One chunk of frames [f, h, w, 3] with values in [0, 1]. */
export type FrameChunk = Float32Array;

export function toRgb24(chunk: FrameChunk): Uint8Array {
  const out = new Uint8Array(chunk.length);
  // upstream: (x · 255).round() on [0, 1] floats, then uint8.
  for (let i = 0; i < chunk.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, chunk[i]!)) * 255);
  return out;
}

function tempBeside(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${Date.now()}.mp4`);
}

/** Encodes the frames to `outPath`; returns the number of frames written. */
export async function encodeVideo(frames: AsyncIterable<FrameChunk> | Iterable<FrameChunk>, outPath: string, opts: EncodeVideoOptions): Promise<number> {
  const { width, height } = opts;
  const rate = Math.trunc(opts.fps);
  if (rate < 1) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.media: fps ${opts.fps} gives an integer frame rate below 1`);
  mkdirSync(dirname(outPath), { recursive: true });
  const videoTmp = tempBeside(outPath, "video");
  const proc = startMediaTool("ffmpeg", [
    "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${width}x${height}`, "-r", String(rate), "-i", "-",
    "-c:v", "libx264", "-preset", "veryfast", "-crf", String(opts.crf ?? DEFAULT_CRF), "-pix_fmt", "yuv420p",
    "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
    "-vf", "scale=out_color_matrix=bt709:out_range=tv", "-movflags", "+faststart", "-f", "mp4", videoTmp,
  ]);
  let count = 0;
  try {
    for await (const chunk of frames) {
      if (chunk.length % (width * height * 3) !== 0) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.media: a frame chunk of ${chunk.length} values is not whole ${width}x${height} RGB frames`);
      count += chunk.length / (width * height * 3);
      await proc.write(toRgb24(chunk));
    }
    await proc.finish();
    if (opts.audio) muxAudio(videoTmp, opts.audio, outPath);
    else renameSync(videoTmp, outPath);
    return count;
  } catch (e) {
    proc.kill();
    throw e;
  } finally {
    rmSync(videoTmp, { force: true });
  }
}
