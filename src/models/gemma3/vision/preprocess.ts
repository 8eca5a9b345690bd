// Gemma3ImageProcessor with its defaults (do_pan_and_scan off): RGB, resize to image_size × image_size ignoring
// the aspect ratio (bilinear; sharp's triangle filter, which like PIL's BILINEAR widens with the reduction
// factor), rescale by 1/255, normalize with mean 0.5 and std 0.5 per channel → f32 [3, H, W] in [-1, 1].
// Files and buffers are decoded by the media module's decodeImage (sharp), as conditioning images are.
import { decodeImage } from "../../../media/image.js";
import type { RgbImage } from "../../../media/resize.js";
import { AiprodError } from "../../../native/errors.js";

/** An image already decoded to 8-bit samples (or floats in 0..255), row-major and interleaved. */
export interface DecodedImage {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  /** 1 (gray), 2 (gray + alpha), 3 (RGB, the default) or 4 (RGBA); alpha is dropped. */
  channels?: 1 | 2 | 3 | 4;
}

/** An image for Gemma 3: a file path, an encoded PNG/JPEG/WebP/… buffer, or decoded samples. */
export type Gemma3ImageInput = string | Uint8Array | DecodedImage;

function badImage(what: string, why: string, cause?: unknown): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_IMAGE", `aiprod.gemma3.vision: ${what} ${why}`, cause === undefined ? undefined : { cause });
}

/** Decoded samples → interleaved 8-bit RGB (gray replicated, alpha dropped, floats rounded and clamped). */
function decodedToRgb(img: DecodedImage): RgbImage {
  const { width, height } = img;
  const channels = img.channels ?? 3;
  if (!Number.isSafeInteger(width) || width <= 0 || !Number.isSafeInteger(height) || height <= 0) {
    throw badImage("the decoded image", `has size ${width}x${height}; width and height must be positive integers`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw badImage("the decoded image", `has ${channels} channels; expected 1, 2, 3 or 4`);
  const src = img.data;
  if (!(src instanceof Uint8Array || src instanceof Uint8ClampedArray || src instanceof Float32Array)) {
    throw badImage("the decoded image", "data must be a Uint8Array, Uint8ClampedArray or Float32Array");
  }
  if (src.length !== width * height * channels) {
    throw badImage("the decoded image", `has ${src.length} samples; ${width}x${height}x${channels} needs ${width * height * channels}`);
  }
  const n = width * height;
  const data = new Uint8Array(n * 3);
  const color = channels >= 3;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = src[i * channels + (color ? c : 0)]!;
      if (!Number.isFinite(v)) throw badImage("the decoded image", `has a non-finite sample at pixel ${i}`);
      data[i * 3 + c] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return { data, width, height };
}

/**
 * The image as 8-bit RGB, decoded first (EXIF orientation applied, alpha dropped without compositing, sRGB), as
 * HF converts to RGB before resizing: resizing with the alpha channel would premultiply.
 */
async function toRgb(image: Gemma3ImageInput): Promise<RgbImage> {
  if (typeof image === "string") return decodeImage(image);
  if (image instanceof Uint8Array) {
    if (image.length === 0) throw badImage("the image buffer", "is empty");
    return decodeImage(image);
  }
  if (typeof image === "object" && image !== null) return decodedToRgb(image);
  throw badImage("the image", `must be a file path, an encoded image buffer or {data, width, height, channels}; got ${image === null ? "null" : typeof image}`);
}

/** RGB bytes [size, size, 3]: the image resized to size × size, aspect ratio ignored. */
async function resizedRgb(image: Gemma3ImageInput, size: number): Promise<Uint8Array> {
  const rgb = await toRgb(image);
  const { default: sharp } = await import("sharp");
  const src = rgb.data instanceof Uint8Array ? rgb.data : Uint8Array.from(rgb.data, (v) => Math.min(255, Math.max(0, Math.round(v))));
  try {
    const { data, info } = await sharp(src, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
      .resize(size, size, { fit: "fill", kernel: "linear" }).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size || info.height !== size) throw new Error(`resized to ${info.width}x${info.height}x${info.channels}`);
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (e) {
    throw badImage("the image", `cannot be resized to ${size}x${size}: ${(e as Error).message}`, e);
  }
}

/** 8-bit RGB [H·W·3] → f32 CHW [3, H, W]: (v · (1/255) − 0.5) / 0.5 in HF's float arithmetic. */
export function normalizeRgb(rgb: Uint8Array, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = Math.fround(Math.fround(Math.fround(rgb[i * 3 + c]! * (1 / 255)) - 0.5) / 0.5);
  }
  return out;
}

/** The image as Gemma 3's pixel values: f32 CHW [3, size, size] in [-1, 1] (size = vision image_size, 896). */
export async function preprocessGemma3Image(image: Gemma3ImageInput, size = 896): Promise<Float32Array> {
  if (!Number.isSafeInteger(size) || size <= 0) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3.vision: size must be a positive integer, got ${size}`);
  return normalizeRgb(await resizedRgb(image, size), size, size);
}
