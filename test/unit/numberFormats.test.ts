// The float64 models used as references must themselves be right: known encodings from the format specs.
import t from "tap";
import { BF16, decode, encode, F16, F8E4M3 } from "../helpers/numberFormats.js";

t.test("f16 model", async (t) => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [1.5 * 2 ** -25, 0x0001], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02], [Infinity, 0x7c00], [NaN, 0x7e00],
  ];
  for (const [x, bits] of cases) t.equal(encode(F16, x), bits, `encode ${x}`);
  t.equal(decode(F16, 0x7bff), 65504);
  t.equal(decode(F16, 0x0001), 2 ** -24);
  t.ok(Number.isNaN(decode(F16, 0x7e00)));
});

t.test("bf16 model", async (t) => {
  t.equal(encode(BF16, 1), 0x3f80);
  t.equal(encode(BF16, 1 + 2 ** -8), 0x3f80, "tie rounds to even");
  t.equal(encode(BF16, 1 + 3 * 2 ** -8), 0x3f82, "tie rounds to even (up)");
  t.equal(encode(BF16, -3), 0xc040);
  t.equal(encode(BF16, 3.4e38), 0x7f80, "overflow to inf");
  t.equal(decode(BF16, 0x7f7f), (2 - 2 ** -7) * 2 ** 127);
});

t.test("f8e4m3fn model", async (t) => {
  const cases: [number, number][] = [
    [0, 0x00], [1, 0x38], [-1, 0xb8], [448, 0x7e], [464, 0x7e], [470, 0x7f], [2 ** -9, 0x01], [2 ** -10, 0x00],
    [1.5 * 2 ** -9, 0x02], [2 ** -6, 0x08], [1.0625, 0x38], [1.1875, 0x3a], [Infinity, 0x7f], [-Infinity, 0xff],
  ];
  for (const [x, bits] of cases) t.equal(encode(F8E4M3, x), bits, `encode ${x}`);
  for (let b = 0; b < 256; b++) {
    const v = decode(F8E4M3, b);
    if (!Number.isNaN(v)) t.equal(encode(F8E4M3, v), b, `round trip 0x${b.toString(16)}`);
  }
});
