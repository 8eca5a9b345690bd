// convTranspose1d (the vocoder's upsampler) on every kernel path against a float64 reference scattered from the
// definition: HiFi-GAN-like rates (stride 6/5/2 with kernel 2·stride), padding, output padding, dilation, odd sizes.
// Bound: |ours - exact| <= 2·(Cin·K)·2^-24·Σ|x·w| + 1e-30.
import t from "tap";
import { convTranspose1d, Tensor } from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";
import { randn, worstError } from "../helpers/reference.js";

interface Spec { b: number; cin: number; cout: number; len: number; k: number; stride: number; padding: number; outputPadding?: number; dilation?: number }

const SPECS: Spec[] = [
  { b: 1, cin: 1, cout: 1, len: 1, k: 1, stride: 1, padding: 0 },
  { b: 2, cin: 16, cout: 8, len: 37, k: 12, stride: 6, padding: 3 },
  { b: 1, cin: 9, cout: 5, len: 20, k: 11, stride: 5, padding: 3, outputPadding: 1 },
  { b: 1, cin: 40, cout: 20, len: 65, k: 4, stride: 2, padding: 1 },
  { b: 1, cin: 3, cout: 7, len: 15, k: 3, stride: 1, padding: 2, dilation: 3 },
];

function reference(s: Spec, x: Float32Array, w: Float32Array, bias: Float32Array) {
  const d = s.dilation ?? 1, op = s.outputPadding ?? 0;
  const outLen = (s.len - 1) * s.stride - 2 * s.padding + d * (s.k - 1) + op + 1;
  const want = new Float64Array(s.b * s.cout * outLen), mag = new Float64Array(want.length);
  for (let b = 0; b < s.b; b++)
    for (let co = 0; co < s.cout; co++) {
      for (let tt = 0; tt < outLen; tt++) {
        want[(b * s.cout + co) * outLen + tt] = bias[co]!;
        mag[(b * s.cout + co) * outLen + tt] = Math.abs(bias[co]!);
      }
      for (let ci = 0; ci < s.cin; ci++)
        for (let i = 0; i < s.len; i++)
          for (let k = 0; k < s.k; k++) {
            const tt = i * s.stride - s.padding + k * d;
            if (tt < 0 || tt >= outLen) continue;
            const p = x[(b * s.cin + ci) * s.len + i]! * w[(ci * s.cout + co) * s.k + k]!;
            want[(b * s.cout + co) * outLen + tt]! += p;
            mag[(b * s.cout + co) * outLen + tt]! += Math.abs(p);
          }
    }
  return { want, mag, outLen };
}

forEachIsa(async (isa) => {
  await t.test(`convTranspose1d on ${isa}`, async (t) => {
    let seed = 900;
    for (const s of SPECS) {
      const xv = randn(s.b * s.cin * s.len, seed++), wv = randn(s.cin * s.cout * s.k, seed++), bv = randn(s.cout, seed++);
      using x = Tensor.from(xv, [s.b, s.cin, s.len]);
      using w = Tensor.from(wv, [s.cin, s.cout, s.k]);
      using bias = Tensor.from(bv, [s.cout]);
      using y = convTranspose1d(x, w, { bias, stride: s.stride, padding: s.padding, ...(s.outputPadding ? { outputPadding: s.outputPadding } : {}), ...(s.dilation ? { dilation: s.dilation } : {}) });
      const { want, mag, outLen } = reference(s, xv, wv, bv);
      t.same(y.shape, [s.b, s.cout, outLen]);
      const err = worstError(y.toFloat32(), want, mag, 2 * s.cin * s.k * 2 ** -24, 1e-30);
      t.ok(err.ratio <= 1, `${JSON.stringify(s)}: worst ${err.ratio.toFixed(3)} of bound`);
    }
  });
}).catch((e: unknown) => t.fail(String(e)));

t.test("convTranspose1d argument errors", async (t) => {
  using x = Tensor.zeros([1, 4, 10]);
  using w = Tensor.zeros([5, 2, 3]);
  t.throws(() => convTranspose1d(x, w), { message: "aiprod.convTranspose1d: channels differ: x is f32[1,4,10] (Cin=4), weight is f32[5,2,3] (Cin=5)" });
  using w2 = Tensor.zeros([4, 2, 3]);
  t.throws(() => convTranspose1d(x, w2, { stride: 2, outputPadding: 2 }), { message: "aiprod.convTranspose1d: outputPadding must be smaller than stride or dilation" });
  t.throws(() => convTranspose1d(x, w2, { padding: 20 }), { message: /the output would be empty/ });
});
