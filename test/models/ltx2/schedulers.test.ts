// Sigma schedules against the upstream values printed in the architecture report and a float64 reference.
import t from "tap";
import { DISTILLED_SIGMA_VALUES, ltx2Sigmas, sigmasFromValues, STAGE_2_DISTILLED_SIGMA_VALUES } from "../../../src/models/ltx2/components/schedulers.js";
import { refSigmas } from "../../reference/ltx2Sampling.js";

const round4 = (v: number) => Number(v.toFixed(4));

t.test("30 and 40 steps match the printed upstream values", async (t) => {
  const s30 = Array.from(ltx2Sigmas(30)).map(round4);
  t.equal(s30.length, 31);
  t.same(s30.slice(0, 3), [1.0, 0.995, 0.9896]);
  t.same(s30.slice(-4), [0.3875, 0.2661, 0.1, 0]);
  const s40 = Array.from(ltx2Sigmas(40)).map(round4);
  t.equal(s40.length, 41);
  t.same(s40.slice(-4), [0.3378, 0.2339, 0.1, 0]);
});

t.test("agrees with the float64 formula for many step counts and token counts", async (t) => {
  // Before stretching, each σ carries a few float32 roundings (relative 2^-24 each), so 1 − σ is off by a few
  // ulps of 1.0 (2^-24). The stretch divides 1 − σ by k = (1 − σ_last)/(1 − terminal), amplifying that absolute
  // error by 1/k (large shifts make σ_last close to 1 and k small: upstream's float32 math has the same
  // error). Bound: 16·2^-24·(1 + 1/k). A wrong shift, formula or stretch is off by far more (≥ 1e-3).
  for (const steps of [2, 3, 8, 20, 30, 40, 100, 1000]) {
    for (const tokens of [4096, 1024, 6144, 24576, 1]) {
      const got = ltx2Sigmas(steps, { tokens });
      const want = refSigmas(steps, tokens);
      const unstretched = refSigmas(steps, tokens, 2.05, 0.95, false);
      const k = (1 - unstretched[steps - 1]!) / 0.9;
      const bound = 16 * 2 ** -24 * (1 + 1 / k);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      t.ok(worst <= bound, `steps=${steps} tokens=${tokens}: max |err| ${worst} <= ${bound}`);
    }
  }
  const noStretch = ltx2Sigmas(10, { stretch: false, maxShift: 1.5, baseShift: 0.5 });
  const want = refSigmas(10, 4096, 1.5, 0.5, false);
  t.ok(noStretch.every((v, i) => Math.abs(v - want[i]!) < 1e-6), "no stretch, custom shifts");
  t.same(Array.from(ltx2Sigmas(1, { stretch: false })), [1 - 2 ** -24, 0], "one step without stretch: [≈1, 0]");
});

t.test("shape of the schedule", async (t) => {
  for (const steps of [2, 8, 30, 40, 77]) {
    const s = ltx2Sigmas(steps);
    // Upstream computes e^μ/(e^μ + 0) as reciprocal(x)·e^μ in float32 (Tensor.__rtruediv__), which gives
    // 1 − 2^-24 rather than 1, and the stretch scales that gap by 1/k (k as above); the stretched terminal is
    // 1 − 0.9·(…) rounded near 0.9 (ulp 2^-24).
    const k = (1 - refSigmas(steps, 4096, 2.05, 0.95, false)[steps - 1]!) / 0.9;
    t.ok(Math.abs(s[0]! - 1) <= 2 * 2 ** -24 * (1 + 1 / k), `steps=${steps}: starts at 1 (${s[0]})`);
    t.equal(s[steps], 0, "ends at 0");
    t.ok(Math.abs(s[steps - 1]! - 0.1) <= 2 ** -24, `last non-zero is terminal 0.1 (${s[steps - 1]})`);
    let monotone = true;
    for (let i = 1; i < s.length; i++) if (!(s[i]! < s[i - 1]!)) monotone = false;
    t.ok(monotone, "strictly decreasing");
  }
  t.ok(Math.abs(ltx2Sigmas(10, { terminal: 0.25 })[9]! - 0.25) <= 2 ** -24, "custom terminal");
  t.not(ltx2Sigmas(20, { tokens: 1024 })[5], ltx2Sigmas(20)[5], "token count changes the shift");
});

t.test("distilled schedules", async (t) => {
  t.same(DISTILLED_SIGMA_VALUES, [1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0]);
  t.same(STAGE_2_DISTILLED_SIGMA_VALUES, [0.909375, 0.725, 0.421875, 0.0]);
  t.ok(Object.isFrozen(DISTILLED_SIGMA_VALUES));
  const s = sigmasFromValues(DISTILLED_SIGMA_VALUES);
  t.ok(s instanceof Float32Array);
  t.same(Array.from(s), DISTILLED_SIGMA_VALUES.map(Math.fround), "float32 like torch.tensor(values)");
});

t.test("argument errors", async (t) => {
  t.throws(() => ltx2Sigmas(0), /steps must be an integer in \[1, 1000\]/);
  t.throws(() => ltx2Sigmas(2.5), /steps/);
  t.throws(() => ltx2Sigmas(1001), /steps/);
  t.throws(() => ltx2Sigmas(Number.NaN), /steps/);
  t.throws(() => ltx2Sigmas(1), /steps=1 with stretch/);
  t.throws(() => ltx2Sigmas(10, { tokens: 0 }), /tokens/);
  t.throws(() => ltx2Sigmas(10, { terminal: 1 }), /terminal/);
  t.throws(() => ltx2Sigmas(10, { maxShift: Infinity }), /maxShift/);
  t.throws(() => sigmasFromValues([1]), /at least 2/);
});
