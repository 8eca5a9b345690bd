// MultiModalGuider: pass selection, skip steps, the guidance formula with std rescale, per-generation params.
import t from "tap";
import { MultiModalGuider } from "../../../src/models/ltx2/components/guiders.js";
import { detectParams, LTX_2_3_HQ_PARAMS, LTX_2_3_PARAMS, LTX_2_4_PARAMS, LTX_2_PARAMS, parseModelVersion } from "../../../src/models/ltx2/components/pipelineParams.js";
import { randn, worstError } from "../../helpers/reference.js";
import { refGuide } from "../../reference/ltx2Sampling.js";

t.test("pass selection", async (t) => {
  const g = new MultiModalGuider();
  t.same([g.needsUncond(), g.needsPerturbed(), g.needsModality()], [false, false, false], "defaults: no guidance");
  const v = new MultiModalGuider(LTX_2_PARAMS.video);
  t.same([v.needsUncond(), v.needsPerturbed(), v.needsModality()], [true, true, true]);
  const hq = new MultiModalGuider(LTX_2_3_HQ_PARAMS.video);
  t.same([hq.needsUncond(), hq.needsPerturbed(), hq.needsModality()], [true, false, true]);
  t.same([new MultiModalGuider({ cfgScale: 1 + 1e-12 }).needsUncond(), new MultiModalGuider({ cfgScale: 1.001 }).needsUncond()], [false, true], "math.isclose semantics");
});

t.test("skip_step", async (t) => {
  const never = new MultiModalGuider();
  t.ok([0, 1, 2, 3].every((i) => !never.shouldSkip(i)));
  const g = new MultiModalGuider({ skipStep: 2 });
  t.same([0, 1, 2, 3, 4, 5, 6].map((i) => g.shouldSkip(i)), [false, true, true, false, true, true, false]);
  t.throws(() => new MultiModalGuider({ skipStep: -1 }), /skipStep/);
  t.throws(() => g.shouldSkip(-1), /step/);
});

t.test("hand-computed example", async (t) => {
  const g = new MultiModalGuider({ cfgScale: 3, stgScale: 1, modalityScale: 2 });
  const c = Float32Array.of(1, 2), u = Float32Array.of(0, 1), p = Float32Array.of(1, 0), q = Float32Array.of(2, 2);
  // 1 + 2·1 + 1·0 + 1·(−1) = 2;  2 + 2·1 + 1·2 + 1·0 = 6
  t.same(Array.from(g.calculate(c, u, p, q)), [2, 6]);
  // rescale 0.5: std(c) = √0.5, std(pred) = √8 → factor 0.5·0.25 + 0.5 = 0.625 → [1.25, 3.75]
  const r = new MultiModalGuider({ cfgScale: 3, stgScale: 1, modalityScale: 2, rescaleScale: 0.5 });
  // (Unbiased and biased std give the same ratio, both tensors having the same length; the engine follows
  // torch's unbiased default anyway, which only shows as an error for a 1-element tensor.)
  t.same(Array.from(r.calculate(c, u, p, q)), [1.25, 3.75]);
  t.throws(() => r.calculate(Float32Array.of(1), Float32Array.of(0), Float32Array.of(0), Float32Array.of(0)), /at least 2 elements/);
  // rescale 1 restores the std of cond: pred = 2c ⇒ factor 1/2 exactly.
  const two = new MultiModalGuider({ cfgScale: 2, rescaleScale: 1 });
  t.same(Array.from(two.calculate(Float32Array.of(1, 3, 8), Float32Array.of(0, 0, 0))), [1, 3, 8]);
});

t.test("agrees with the float64 formula", async (t) => {
  const n = 8192;
  const [c, u, p, q] = [1, 2, 3, 4].map((s) => randn(n, s));
  const mag = Float64Array.from({ length: n }, (_, k) => 8 * (Math.abs(c![k]!) + Math.abs(u![k]!) + Math.abs(p![k]!) + Math.abs(q![k]!)));
  for (const params of [LTX_2_PARAMS.video, LTX_2_PARAMS.audio, LTX_2_3_HQ_PARAMS.video, { cfgScale: 4, stgScale: 0, modalityScale: 1, rescaleScale: 0 }]) {
    const g = new MultiModalGuider(params);
    const got = g.calculate(c!, u, p, q);
    const want = refGuide(c!, u!, p!, q!, { cfg: params.cfgScale, stg: params.stgScale, mod: params.modalityScale, rescale: params.rescaleScale });
    // ~10 f32 roundings of terms bounded by (scale)·(|c| + |other|) ≤ 8·Σ|·| for these scales, plus the f32
    // factor (3 roundings): 16·2^-24 relative to that magnitude. Omitting the rescale or using the biased std
    // with a different n would not matter here, but a wrong sign/coefficient is off by O(1).
    const { ratio } = worstError(got, want, mag, 16 * 2 ** -24, 0);
    t.ok(ratio <= 1, `${JSON.stringify(params)}: ratio ${ratio}`);
  }
  const plain = new MultiModalGuider({ ...LTX_2_PARAMS.video, rescaleScale: 0 });
  const want0 = refGuide(c!, u!, p!, q!, { cfg: 3, stg: 1, mod: 3, rescale: 0 });
  t.ok(worstError(plain.calculate(c!, u, p, q), want0, mag, 16 * 2 ** -24, 0).ratio <= 1, "rescale 0 is the plain formula");
  const rescaled = new MultiModalGuider(LTX_2_PARAMS.video).calculate(c!, u, p, q);
  t.ok(worstError(rescaled, want0, mag, 16 * 2 ** -24, 0).ratio > 1, "and rescale 0.7 differs from it");
  t.throws(() => new MultiModalGuider(LTX_2_PARAMS.video).calculate(c!, u, p), /modality is required/);
  t.throws(() => new MultiModalGuider({ cfgScale: 2 }).calculate(c!, u!.subarray(1)), /uncond has 8191 elements, expected 8192/);
  const bf = new MultiModalGuider(LTX_2_PARAMS.video).calculate(c!, u, p, q, "bf16");
  t.ok(bf.every((v, k) => Math.abs(v - rescaled[k]!) <= Math.abs(rescaled[k]!) * 2 ** -8), "bf16 storage is one rounding of the f32 result");
});

t.test("per-generation params", async (t) => {
  t.same([LTX_2_PARAMS.numInferenceSteps, LTX_2_PARAMS.video.cfgScale, LTX_2_PARAMS.video.stgScale, LTX_2_PARAMS.video.rescaleScale, LTX_2_PARAMS.video.modalityScale, LTX_2_PARAMS.video.stgBlocks], [40, 3, 1, 0.7, 3, [29]]);
  t.same([LTX_2_PARAMS.audio.cfgScale, LTX_2_PARAMS.audio.stgBlocks], [7, [29]]);
  t.same([LTX_2_3_PARAMS.numInferenceSteps, LTX_2_3_PARAMS.video.stgBlocks, LTX_2_3_PARAMS.audio.stgBlocks], [30, [28], [28]]);
  t.same([LTX_2_3_HQ_PARAMS.numInferenceSteps, LTX_2_3_HQ_PARAMS.video.rescaleScale, LTX_2_3_HQ_PARAMS.audio.rescaleScale, LTX_2_3_HQ_PARAMS.video.stgScale], [15, 0.45, 1, 0]);
  t.equal(detectParams(), LTX_2_PARAMS, "absent → 2.0");
  t.equal(detectParams(""), LTX_2_PARAMS);
  t.equal(detectParams("2.0"), LTX_2_PARAMS);
  t.equal(detectParams("2.3"), LTX_2_3_PARAMS);
  t.equal(detectParams("2.3.rc1"), LTX_2_3_PARAMS);
  t.equal(detectParams("2.4-rc2"), LTX_2_4_PARAMS, "hyphen tags normalize");
  t.equal(detectParams("2.5"), LTX_2_4_PARAMS, "newer versions inherit the closest known generation");
  t.equal(detectParams("3"), LTX_2_4_PARAMS);
  t.equal(detectParams("2"), LTX_2_PARAMS, "(2,) < (2,3)");
  t.same(parseModelVersion("2.3.rc1"), [2, 3]);
  t.ok(Object.isFrozen(LTX_2_PARAMS.video), "presets are immutable");
});
