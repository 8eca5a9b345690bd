// Gemma3ImageProcessor's defaults on sharp: resize to image_size × image_size (aspect ratio ignored), RGB,
// (v/255 − 0.5)/0.5, CHW; the accepted inputs (path, encoded buffer, decoded samples) and the errors.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import t from "tap";
import { preprocessGemma3Image } from "../../../src/models/gemma3/vision/preprocess.js";

const root = mkdtempSync(join(tmpdir(), "gemma3-img-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
// HF's (slow) Gemma3ImageProcessor arithmetic: rescale in float64 stored as f32, then normalize in f32. It is
// (v/255 − 0.5)/0.5 to within one f32 rounding (checked below).
const norm = (v: number) => Math.fround(Math.fround(Math.fround(v * (1 / 255)) - 0.5) / 0.5);

t.test("a solid color gives exactly (v/255 − 0.5)/0.5 per channel, at image_size × image_size", async (t) => {
  const rgb = [200, 100, 31];
  const png = await sharp({ create: { width: 50, height: 30, channels: 3, background: { r: rgb[0]!, g: rgb[1]!, b: rgb[2]! } } }).png().toBuffer();
  const x = await preprocessGemma3Image(png, 28);
  t.equal(x.length, 3 * 28 * 28, "[3, 28, 28] (50×30 stretched, aspect ratio ignored)");
  for (let c = 0; c < 3; c++) {
    const plane = x.subarray(c * 784, (c + 1) * 784);
    t.ok(plane.every((v) => v === norm(rgb[c]!)), `channel ${c}: every value is ${norm(rgb[c]!)}`);
    t.ok(Math.abs(plane[0]! - (rgb[c]! / 255 - 0.5) / 0.5) <= 2 ** -24, "= (v/255 − 0.5)/0.5 within one f32 rounding");
  }
  const path = join(root, "solid.png");
  writeFileSync(path, png);
  t.same(Array.from(await preprocessGemma3Image(path, 28)), Array.from(x), "a file path gives the same");
  const defaults = await preprocessGemma3Image(png);
  t.equal(defaults.length, 3 * 896 * 896, "default size 896 (the release's image_size)");
  t.equal(defaults[896 * 896 + 12345], norm(100));
});

t.test("channel order and layout: RGB planes, rows top to bottom, columns left to right", async (t) => {
  // 56×56 quadrants: red (top-left), green (top-right), blue (bottom-left), white (bottom-right); halved to 28.
  const px = new Uint8Array(56 * 56 * 3);
  const colors = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
  for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) px.set(colors[(y < 28 ? 0 : 2) + (x < 28 ? 0 : 1)]!, (y * 56 + x) * 3);
  const png = await sharp(px, { raw: { width: 56, height: 56, channels: 3 } }).png().toBuffer();
  const out = await preprocessGemma3Image(png, 28);
  const at = (c: number, y: number, x: number) => out[(c * 28 + y) * 28 + x]!;
  // Away from the seams the bilinear filter sees one color only.
  for (const [y, x, want] of [[3, 3, colors[0]!], [3, 24, colors[1]!], [24, 3, colors[2]!], [24, 24, colors[3]!]] as const) {
    t.same([at(0, y, x), at(1, y, x), at(2, y, x)], want.map(norm), `pixel (${y}, ${x})`);
  }
  // The same samples given decoded (Uint8Array, or floats with 4 channels whose alpha is dropped).
  t.same(Array.from(await preprocessGemma3Image({ data: px, width: 56, height: 56, channels: 3 }, 28)), Array.from(out), "decoded RGB input");
  const rgba = new Float32Array(56 * 56 * 4);
  for (let i = 0; i < 56 * 56; i++) rgba.set([px[i * 3]!, px[i * 3 + 1]!, px[i * 3 + 2]!, 128], i * 4);
  t.same(Array.from(await preprocessGemma3Image({ data: rgba, width: 56, height: 56, channels: 4 }, 28)), Array.from(out), "RGBA floats: alpha dropped");
  // A half-transparent PNG: alpha is dropped before resizing (no premultiplied blending at the seams).
  const rgbaPng = await sharp(Uint8Array.from(rgba), { raw: { width: 56, height: 56, channels: 4 } }).png().toBuffer();
  t.same(Array.from(await preprocessGemma3Image(rgbaPng, 28)), Array.from(out), "RGBA PNG: alpha dropped before the resize");
  const gray = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 77, g: 77, b: 77 } } }).greyscale().png().toBuffer();
  t.ok((await preprocessGemma3Image(gray, 28)).every((v) => v === norm(77)), "grayscale becomes three equal channels");
});

t.test("bad images give clear errors", async (t) => {
  await t.rejects(preprocessGemma3Image(Buffer.from("not an image at all"), 28), { code: "ERR_AIPROD_BAD_IMAGE", message: /cannot decode the image buffer/ });
  await t.rejects(preprocessGemma3Image(new Uint8Array(0), 28), { code: "ERR_AIPROD_BAD_IMAGE", message: /empty/ });
  await t.rejects(preprocessGemma3Image(join(root, "absent.png"), 28), { code: "ERR_AIPROD_FILE_NOT_FOUND" });
  const junk = join(root, "junk.png");
  writeFileSync(junk, "garbage");
  await t.rejects(preprocessGemma3Image(junk, 28), { code: "ERR_AIPROD_BAD_IMAGE", message: /junk\.png/ });
  await t.rejects(preprocessGemma3Image({ data: new Uint8Array(10), width: 4, height: 4 }, 28), { code: "ERR_AIPROD_BAD_IMAGE", message: /4x4x3 needs 48/ });
  await t.rejects(preprocessGemma3Image({ data: new Uint8Array(16), width: 4, height: 4, channels: 5 as 3 }, 28), { code: "ERR_AIPROD_BAD_IMAGE", message: /5 channels/ });
  await t.rejects(preprocessGemma3Image(42 as unknown as string, 28), { code: "ERR_AIPROD_BAD_IMAGE" });
});
