// Gemma3ImageProcessor with its defaults (do_pan_and_scan off): RGB, resize to image_size × image_size ignoring
// the aspect ratio (bilinear; sharp's triangle filter, which like PIL's BILINEAR widens with the reduction
// factor), rescale by 1/255, normalize with mean 0.5 and std 0.5 per channel → f32 [3, H, W] in [-1, 1].
import { existsSync } from "node:fs";
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

function decodedSource(img: DecodedImage): { data: Uint8Array; raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 } } {
  const { width, height } = img;
  const channels = img.channels ?? 3;
  if (!Number.isSafeInteger(width) || width <= 0 || !Number.isSafeInteger(height) || height <= 0) {
    throw badImage("the decoded image", `has size ${width}x${height}; width and height must be positive integers`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw badImage("the decoded image", `has ${channels} channels; expected 1, 2, 3 or 4`);
  if (!(img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray || img.data instanceof Float32Array)) {
    throw badImage("the decoded image", "data must be a Uint8Array, Uint8ClampedArray or Float32Array");
  }
  if (img.data.length !== width * height * channels) {
    throw badImage("the decoded image", `has ${img.data.length} samples; ${width}x${height}x${channels} needs ${width * height * channels}`);
  }
  let data: Uint8Array;
  if (img.data instanceof Float32Array) {
    data = new Uint8Array(img.data.length);
    for (let i = 0; i < data.length; i++) {
      const v = img.data[i]!;
      if (!Number.isFinite(v)) throw badImage("the decoded image", `has a non-finite sample at ${i}`);
      data[i] = Math.min(255, Math.max(0, Math.round(v)));
    }
  } else {
    data = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length);
  }
  return { data, raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } };
}

/** RGB bytes [size, size, 3] of the image resized (aspect ratio ignored) with sharp. */
async function resizedRgb(image: Gemma3ImageInput, size: number): Promise<Uint8Array> {
  const { default: sharp } = await import("sharp");
  let name: string;
  let pipeline: ReturnType<typeof sharp>;
  if (typeof image === "string") {
    name = `'${image}'`;
    if (!existsSync(image)) throw new AiprodError("ERR_AIPROD_FILE_NOT_FOUND", `aiprod.gemma3.vision: image ${name} does not exist`);
    pipeline = sharp(image).rotate();
  } else if (image instanceof Uint8Array) {
    name = "the image buffer";
    if (image.length === 0) throw badImage(name, "is empty");
    pipeline = sharp(image).rotate();
  } else if (typeof image === "object" && image !== null) {
    name = "the decoded image";
    const { data, raw } = decodedSource(image);
    pipeline = sharp(data, { raw });
  } else {
    throw badImage("the image", `must be a file path, an encoded image buffer or {data, width, height, channels}; got ${image === null ? "null" : typeof image}`);
  }
  try {
    const { data, info } = await pipeline.removeAlpha().toColorspace("srgb")
      .resize(size, size, { fit: "fill", kernel: "linear" }).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size || info.height !== size) throw new Error(`resized to ${info.width}x${info.height}x${info.channels}`);
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (e) {
    throw badImage(name, `cannot be decoded: ${(e as Error).message}`, e);
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
