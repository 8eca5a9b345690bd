// Reference videos decoded through ffmpeg to 8-bit RGB frames (upstream decodes with PyAV; the pixels are what
// matter here, and ffmpeg is already how every other media path of this library works).
import { existsSync } from "node:fs";
import { AiprodError } from "../native/errors.js";
import { probeMedia } from "./ffmpeg.js";
import { pipeThrough } from "./process.js";
import type { RgbImage } from "./resize.js";

/** Up to `maxFrames` frames of the first video stream, in display orientation. */
export async function decodeVideoFrames(path: string, maxFrames: number): Promise<RgbImage[]> {
  if (!existsSync(path)) throw new AiprodError("ERR_AIPROD_FILE_NOT_FOUND", `aiprod.media: video '${path}' does not exist`);
  const stream = probeMedia(path).streams.find((s) => s.codec_type === "video");
  if (!stream) throw new AiprodError("ERR_AIPROD_BAD_VIDEO", `aiprod.media: '${path}' has no video stream`);
  let width = Number(stream.width), height = Number(stream.height);
  const rotation = Math.abs(Number((stream.tags as Record<string, string> | undefined)?.rotate ?? 0));
  if (rotation === 90 || rotation === 270) [width, height] = [height, width];
  const raw = await pipeThrough("ffmpeg", ["-v", "error", "-nostdin", "-i", path, "-map", "0:v:0", "-frames:v", String(maxFrames), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
  const size = width * height * 3;
  if (raw.length === 0 || raw.length % size !== 0) throw new AiprodError("ERR_AIPROD_BAD_VIDEO", `aiprod.media: '${path}' decoded to ${raw.length} bytes, not whole ${width}x${height} frames`);
  const frames: RgbImage[] = [];
  for (let o = 0; o < raw.length; o += size) frames.push({ data: new Uint8Array(raw.buffer, raw.byteOffset + o, size), width, height });
  return frames;
}
