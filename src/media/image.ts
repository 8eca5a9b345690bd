// Conditioning images: decoded with sharp (EXIF orientation applied, alpha dropped, sRGB), re-compressed as a
// one-frame H.264 video at the model generation's CRF and decoded back (upstream media_io/decode.py
// `preprocess`: the model was trained on compressed frames), then cover-resized and center-cropped.
import { existsSync } from "node:fs";
import { AiprodError } from "../native/errors.js";
import { pipeThrough } from "./process.js";
import { resizeAndCenterCrop, type RgbImage } from "./resize.js";

/** Decodes a PNG/JPEG/WebP/… file or buffer to 8-bit RGB. */
export async function decodeImage(source: string | Uint8Array): Promise<RgbImage> {
  if (typeof source === "string" && !existsSync(source)) throw new AiprodError("ERR_AIPROD_FILE_NOT_FOUND", `aiprod.media: image '${source}' does not exist`);
  const { default: sharp } = await import("sharp");
  try {
    const { data, info } = await sharp(source).rotate().removeAlpha().toColorspace("srgb").raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    const name = typeof source === "string" ? `'${source}'` : "the image buffer";
    throw new AiprodError("ERR_AIPROD_BAD_IMAGE", `aiprod.media: cannot decode ${name}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * One-frame libx264 round trip (preset veryfast, yuv420p) at `crf`; 0 skips it, as upstream does. The image is
 * first cropped to even dimensions (a 4:2:0 requirement), like upstream's encode_single_frame.
 */
export async function recompressImage(img: RgbImage, crf: number): Promise<RgbImage> {
  if (crf === 0 || Math.min(img.width, img.height) < 2) return img;
  const w = img.width & ~1, h = img.height & ~1;
  const even = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) even.set(img.data.subarray(y * img.width * 3, (y * img.width + w) * 3) as Uint8Array, y * w * 3);
  const h264 = await pipeThrough("ffmpeg", [
    "-v", "error", "-nostdin", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${w}x${h}`, "-r", "1", "-i", "-",
    "-frames:v", "1", "-c:v", "libx264", "-preset", "veryfast", "-crf", String(crf), "-pix_fmt", "yuv420p", "-f", "h264", "-",
  ], even);
  const rgb = await pipeThrough("ffmpeg", ["-v", "error", "-nostdin", "-f", "h264", "-i", "-", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], h264);
  if (rgb.length !== w * h * 3) throw new AiprodError("ERR_AIPROD_FFMPEG_FAILED", `aiprod.media: the re-compressed image decoded to ${rgb.length} bytes; expected ${w * h * 3}`);
  return { data: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length), width: w, height: h };
}

/** decode → re-compress at `crf` → cover-resize + center crop: float RGB [height, width, 3] in 0..255. */
export async function loadConditioningImage(source: string | Uint8Array, width: number, height: number, crf: number): Promise<Float32Array> {
  const img = await recompressImage(await decodeImage(source), crf);
  return resizeAndCenterCrop(img, width, height);
}
