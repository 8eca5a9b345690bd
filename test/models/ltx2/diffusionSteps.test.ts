// Euler / Euler-ancestral steps and velocity ↔ x̂₀ conversions against the float64 reference.
import t from "tap";
import { eulerAncestralStep, eulerStep, toDenoised, toVelocity } from "../../../src/models/ltx2/components/diffusionSteps.js";
import { ltx2Sigmas } from "../../../src/models/ltx2/components/schedulers.js";
import { randn, roundBf16, worstError } from "../../helpers/reference.js";
import { refEuler, refEulerAncestral, refToDenoised } from "../../reference/ltx2Sampling.js";

const N = 4096;
const x = randn(N, 1);
const x0 = randn(N, 2).map((v) => v * 0.5);
const eps = randn(N, 3).map(roundBf16);
const sigmas = ltx2Sigmas(30);
const mag = (...arrs: ArrayLike<number>[]) => Float64Array.from({ length: N }, (_, k) => arrs.reduce((p, a) => p + Math.abs(a[k]!), 0));

t.test("Euler step agrees with the float64 formula", async (t) => {
  // ~5 float32 roundings (2^-24 relative each) of terms bounded by |x| + |x̂₀|·|Δσ/σ|…: 8·2^-24 of (|x| + |x̂₀|)
  // scaled by max(1, |Δσ|/σ). Reference uses the same f32 sigmas, so only the step arithmetic is compared.
  for (const i of [0, 10, 28, 29]) {
    const got = eulerStep(x, x0, sigmas, i);
    const want = refEuler(x, x0, sigmas[i]!, sigmas[i + 1]!);
    const amp = Math.max(1, Math.abs(sigmas[i + 1]! - sigmas[i]!) / sigmas[i]!);
    const { ratio } = worstError(got, want, mag(x, x0), 8 * 2 ** -24 * amp, 0);
    t.ok(ratio <= 1, `step ${i}: ratio ${ratio}`);
  }
  t.ok(worstError(eulerStep(x, x0, sigmas, 29), x0, mag(x, x0), 4 * 2 ** -24, 0).ratio <= 1, "σ_next = 0 lands on x̂₀ up to f32 rounding");
  const bf = eulerStep(x.map(roundBf16), x0.map(roundBf16), sigmas, 5, "bf16");
  t.ok(bf.every((v) => v === roundBf16(v)), "bf16 storage gives bf16 values");
  const want = refEuler(x.map(roundBf16), x0.map(roundBf16), sigmas[5]!, sigmas[6]!);
  t.ok(worstError(bf, want, mag(x, x0), 2 ** -7, 0).ratio <= 1, "bf16 result within bf16 rounding (2^-8 per cast, two casts)");
});

t.test("Euler-ancestral agrees with the float64 formula", async (t) => {
  for (const [eta, sNoise] of [[1, 1], [0.5, 1], [1, 0.7]] as const) {
    for (const i of [0, 5, 28]) {
      const got = eulerAncestralStep(x, x0, sigmas, i, { eta, sNoise, noise: eps });
      const want = refEulerAncestral(x, x0, sigmas[i]!, sigmas[i + 1]!, eta, sNoise, eps);
      // ~10 f32 roundings on coefficients ≤ ~1 plus the sqrt of a difference of squares of size σ²: allow
      // 32·2^-24 relative to |x| + |x̂₀| + |ε|. Wrong η handling or a missing renoise is off by > 1e-3.
      const { ratio } = worstError(got, want, mag(x, x0, eps), 32 * 2 ** -24, 0);
      t.ok(ratio <= 1, `eta=${eta} sNoise=${sNoise} step ${i}: ratio ${ratio}`);
    }
  }
  const d = eulerAncestralStep(x, x0, sigmas, 3, { eta: 0 });
  const e = eulerStep(x, x0, sigmas, 3);
  t.ok(worstError(d, e, mag(x, x0), 8 * 2 ** -24, 0).ratio <= 1, "eta = 0 is plain Euler (no noise needed)");
  let draws = 0;
  const last = eulerAncestralStep(x, x0, sigmas, 29, { noise: (n) => (draws++, new Float32Array(n)) });
  t.same(Array.from(last), Array.from(x0), "last step returns x̂₀");
  t.equal(draws, 0, "and draws no noise");
  eulerAncestralStep(x, x0, sigmas, 0, { noise: (n) => (draws++, new Float32Array(n)) });
  t.equal(draws, 1, "a noise function is called once per step");
  t.throws(() => eulerAncestralStep(x, x0, sigmas, 0), /noise is required/);
  t.throws(() => eulerAncestralStep(x, x0, sigmas, 0, { noise: new Float32Array(3) }), /noise has 3 elements, expected 4096/);
});

t.test("toDenoised / toVelocity", async (t) => {
  const C = 16;
  const mask = Float32Array.from({ length: N / C }, (_, i) => [1, 0, 0.4][i % 3]!);
  const sigma = 0.7;
  const ts = Float32Array.from(mask, (m) => Math.fround(m * Math.fround(sigma)));
  const v = randn(N, 4);
  const got = toDenoised(x, v, ts, C);
  const want = refToDenoised(x, v, Math.fround(sigma), mask, C);
  t.ok(worstError(got, want, mag(x, v), 3 * 2 ** -24, 0).ratio <= 1, "x̂₀ = x − v·σ·m per token");
  for (let k = C; k < 2 * C; k++) if (got[k] !== x[k]) t.fail("mask-0 token must return x");
  const back = toVelocity(x, toDenoised(x, v, new Float32Array(N / C).fill(Math.fround(sigma)), C), sigma);
  t.ok(worstError(back, v, mag(x, v), 8 * 2 ** -24 / 0.7, 0).ratio <= 1, "toVelocity inverts toDenoised");
  t.throws(() => toVelocity(x, x0, 0), /sigma can't be 0/);
  t.throws(() => toDenoised(x, v, ts, 15), /sample has 4096 elements/);
  t.throws(() => eulerStep(x, x0, sigmas, 30), /stepIndex must be an integer in \[0, 29\]/);
  t.throws(() => eulerStep(x, x0.subarray(1), sigmas, 0), /denoised has 4095 elements/);
});
