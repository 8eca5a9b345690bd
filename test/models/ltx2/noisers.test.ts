// Seeded Gaussian noise, the initial noiser and the denoise-mask helpers.
import t from "tap";
import { postProcessLatent, timestepsFromMask } from "../../../src/models/ltx2/components/denoiseMask.js";
import { drawNoise, GaussianGenerator, gaussianNoiser } from "../../../src/models/ltx2/components/noisers.js";
import { roundBf16 as engineRoundBf16 } from "../../../src/models/ltx2/components/precision.js";
import { randn, roundBf16, worstError } from "../../helpers/reference.js";
import { testValues } from "../../helpers/numberFormats.js";
import { refNoiser, refPostProcess } from "../../reference/ltx2Sampling.js";

t.test("generator: determinism and distribution", async (t) => {
  const a = drawNoise(new GaussianGenerator(10), [1, 1000, 128]);
  const b = drawNoise(new GaussianGenerator(10), [1, 1000, 128]);
  t.same(Array.from(a.subarray(0, 64)), Array.from(b.subarray(0, 64)));
  t.ok(a.every((v, k) => v === b[k]), "same seed → identical draws");
  const c = new GaussianGenerator(11).randnBf16(1000);
  t.ok(c.some((v, k) => v !== a[k]), "different seed → different draws");
  const hi = new GaussianGenerator(10 + 2 ** 40).randnBf16(1000);
  t.ok(hi.some((v, k) => v !== a[k]), "high seed bits matter");
  const g = new GaussianGenerator(10);
  const first = g.randnBf16(500);
  const second = g.randnBf16(500);
  t.ok(first.every((v, k) => v === a[k]), "one shared stream: first draw continues…");
  t.ok(second.some((v, k) => v !== first[k]), "…and the second draw continues past it");
  t.ok(a.every((v) => v === roundBf16(v)), "values are bf16-representable (checked with the definition-based bf16 model)");

  const n = 100000;
  const z = new GaussianGenerator(1234).randnBf16(n);
  let sum = 0;
  for (const v of z) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of z) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  // Standard errors: mean 1/√n = 0.0032, std ≈ 1/√(2n) = 0.0022. Five standard errors (p ≈ 6e-7 per check);
  // bf16 rounding is symmetric (round half to even) and changes the variance by ~2^-16/12: negligible.
  t.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  t.ok(Math.abs(sd - 1) < 5 / Math.sqrt(2 * n), `std ${sd}`);
  let tail = 0;
  for (const v of z) if (Math.abs(v) > 1.959964) tail++;
  // P(|z| > 1.96) = 0.05; binomial sd √(n·0.05·0.95) = 69: allow 5 sd.
  t.ok(Math.abs(tail - 0.05 * n) < 5 * 69, `two-sided 5% tail count ${tail}`);
  t.throws(() => new GaussianGenerator(-1), /seed/);
  t.throws(() => new GaussianGenerator(1.5), /seed/);
  t.throws(() => drawNoise(g, [1, 0, 128]), /shape/);
});

t.test("engine bf16 rounding matches the definition", async (t) => {
  const v = testValues(20000, 7);
  t.ok(v.every((x) => Object.is(engineRoundBf16(x), roundBf16(x)) || (Number.isNaN(x) && Number.isNaN(engineRoundBf16(x)))));
});

t.test("gaussianNoiser", async (t) => {
  const C = 8, T = 300, n = C * T;
  const latent = randn(n, 1), clean = randn(n, 2), eps = randn(n, 3).map(roundBf16);
  const mask = Float32Array.from({ length: T }, (_, i) => [1, 0, 0.3, 0.75][i % 4]!);
  const mag = Float64Array.from({ length: n }, (_, k) => Math.abs(latent[k]!) + Math.abs(clean[k]!) + Math.abs(eps[k]!));
  for (const s of [1, 0.909375, 0.2]) {
    const got = gaussianNoiser(latent, clean, mask, s, eps, C);
    const want = refNoiser(latent, clean, mask, Math.fround(s), eps, C);
    // two lerps, 3 f32 roundings each, of values bounded by the magnitudes involved: 8·2^-24.
    t.ok(worstError(got, want, mag, 8 * 2 ** -24, 0).ratio <= 1, `s=${s}`);
    for (let k = C; k < 2 * C; k++) if (got[k] !== clean[k]) t.fail("mask-0 tokens keep the clean latent");
  }
  const pure = gaussianNoiser(latent, clean, new Float32Array(T).fill(1), 1, eps, C);
  t.ok(pure.every((v, k) => v === eps[k]), "stage 1 (s = 1, m = 1) is pure noise");
  const bf = gaussianNoiser(latent, clean, mask, 0.5, eps, C, "bf16");
  t.ok(bf.every((v) => v === roundBf16(v)), "bf16 storage");
  t.throws(() => gaussianNoiser(latent, clean, mask, 1, eps, 7), /latent has 2400 elements but the mask has 300 tokens × 7 channels/);
  t.throws(() => gaussianNoiser(latent, clean.subarray(1), mask, 1, eps, C), /clean has 2399 elements/);
});

t.test("denoise-mask helpers", async (t) => {
  const mask = Float32Array.of(1, 0, 0.25, 0.6);
  t.same(Array.from(timestepsFromMask(0.5, mask)), [0.5, 0, 0.125, Math.fround(Math.fround(0.6) * 0.5)]);
  const C = 3;
  const x0 = randn(12, 4), clean = randn(12, 5);
  const got = postProcessLatent(x0, mask, clean, C);
  const want = refPostProcess(x0, mask, clean, C);
  const mag = Float64Array.from({ length: 12 }, (_, k) => Math.abs(x0[k]!) + Math.abs(clean[k]!));
  t.ok(worstError(got, want, mag, 4 * 2 ** -24, 0).ratio <= 1, "x̂₀·m + clean·(1−m)");
  t.same(Array.from(got.subarray(0, 3)), Array.from(x0.subarray(0, 3)), "mask 1 keeps x̂₀");
  t.same(Array.from(got.subarray(3, 6)), Array.from(clean.subarray(3, 6)), "mask 0 keeps clean");
  t.throws(() => postProcessLatent(x0, mask, clean, 4), /denoised has 12 elements but the mask has 4 tokens × 4 channels/);
  t.throws(() => timestepsFromMask(Number.NaN, mask), /sigma must be a finite number/);
});
