// IC-LoRA spatial attention masks pooled to the reference's latent tokens, checked against hand-computed values
// of upstream's rule (area interpolation per frame; first frame alone, then means of t-frame groups).
import t from "tap";
import { downsampleMaskToLatent, grayMask } from "../../src/models/ltx2/conditioning/attentionMask.js";

t.test("area pooling with uneven windows and the temporal grouping", async (t) => {
  // 3 pixel frames of 3x5 → latent 2 frames of 2x2: t = (3-1)/(2-1) = 2.
  const F = 3, H = 3, W = 5;
  const data = Float32Array.from({ length: F * H * W }, (_, i) => (i % 7) / 7);
  const got = downsampleMaskToLatent({ data, frames: F, height: H, width: W }, { frames: 2, height: 2, width: 2 });
  // Adaptive pooling windows: rows [0,2) and [1,3); columns [0,3) and [2,5).
  const win = (f: number, y0: number, y1: number, x0: number, x1: number) => {
    let s = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += data[(f * H + y) * W + x]!;
    return s / ((y1 - y0) * (x1 - x0));
  };
  const rows = [[0, 2], [1, 3]], cols = [[0, 3], [2, 5]];
  const want: number[] = [];
  for (const [y0, y1] of rows) for (const [x0, x1] of cols) want.push(win(0, y0!, y1!, x0!, x1!));
  for (const [y0, y1] of rows) for (const [x0, x1] of cols) want.push((win(1, y0!, y1!, x0!, x1!) + win(2, y0!, y1!, x0!, x1!)) / 2);
  t.same(Array.from(got), want.map(Math.fround));
  t.throws(() => downsampleMaskToLatent({ data: new Float32Array(4 * 4), frames: 4, height: 2, width: 2 }, { frames: 3, height: 1, width: 1 }),
    { message: /attention mask has 4 frames; \(frames − 1\) must be a multiple of the reference's 2 latent frames/ });
  const one = downsampleMaskToLatent({ data: Float32Array.of(0.25, 0.75), frames: 1, height: 1, width: 2 }, { frames: 3, height: 1, width: 1 });
  t.same(Array.from(one), [0.5, 0.5, 0.5], "an image mask holds for every latent frame");
});

t.test("grayscale is the channel mean over 255, clamped to [0, 1]", async (t) => {
  const m = grayMask([Float32Array.of(255, 255, 255, 0, 51, 102, 300, 300, 300)], 3, 1);
  t.same(Array.from(m.data), [1, Math.fround(51 / 255), 1]);
});
