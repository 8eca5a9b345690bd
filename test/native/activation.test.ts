// GELU (tanh, erf), SiLU, LeakyReLU, lerp, softmax, mean and std on every kernel path against float64 models of
// the formulas. Bounds for f32 outputs:
// - GELU tanh/erf, SiLU: 1e-5 relative + 1e-6 absolute on x in [-8, 8]. The SIMD paths use a Cephes exp
//   (< 2 ulp), GELU-tanh as x·sigmoid(2u) and a rational erf (≈1e-7 absolute); ref uses <cmath> in f32,
//   whose 1 + tanh / 1 + erf cancellation for negative x stays under the absolute term.
// - LeakyReLU: one f32 rounding (1.2e-7 relative). lerp: 4e-7 of |a| + |t·(b−a)|.
// - softmax: 1e-5 relative + 1e-9 absolute, including rows offset by 1000 (stability).
// - mean: 1e-6 of mean(|x|); std: 1e-5 relative + 1e-6 absolute.
// bf16 outputs add the output rounding (2^-8 relative).
import t from "tap";
import { geluErf, geluTanh, leakyRelu, lerp, mean, sigmoid, silu, softmax, std, tanh, Tensor } from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";
import { bound, close, FLOAT_DTYPES, input, LAST_DIMS, throwsWith } from "../helpers/pointwise.js";

/** erf in float64: Maclaurin series below 3 (terms stay < 1e4, so ~1e-12 absolute), continued fraction above. */
function erf64(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z < 3) {
    let term = z, sum = z;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let k = z;
    for (let n = 80; n >= 1; n--) k = z + n / 2 / k;
    r = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / k;
  }
  return x < 0 ? -r : r;
}

const ACTIVATIONS = {
  geluTanh: { fn: geluTanh, ref: (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))) },
  geluErf: { fn: geluErf, ref: (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2)) },
  silu: { fn: silu, ref: (x: number) => x / (1 + Math.exp(-x)) },
  sigmoid: { fn: sigmoid, ref: (x: number) => 1 / (1 + Math.exp(-x)) },
  tanh: { fn: tanh, ref: Math.tanh },
} as const;

t.test("the float64 erf model", async (t) => {
  // Known values (Abramowitz & Stegun table 7.1, 15 digits).
  for (const [x, v] of [[0.5, 0.520499877813047], [1, 0.842700792949715], [2, 0.995322265018953], [3.5, 0.999999256901628]] as const) {
    t.ok(Math.abs(erf64(x) - v) < 1e-13 && Math.abs(erf64(-x) + v) < 1e-13, `erf(${x})`);
  }
});

forEachIsa(async (isa) => {
  await t.test(`activations on ${isa}`, async (t) => {
    for (const n of [...LAST_DIMS, 70001]) {
      for (const dtype of FLOAT_DTYPES) {
        const shape = n < 200 ? [3, n] : [n];
        const { t: x, v } = input(shape, dtype, n * 3 + 1, -8, 8);
        using _x = x;
        for (const [name, { fn, ref }] of Object.entries(ACTIVATIONS)) {
          using y = fn(x);
          t.same(y.shape, shape);
          const want = Float64Array.from(v, ref);
          close(t, y.toFloat32(), want, bound(dtype, want, 1e-5, 1e-6), `${name} ${dtype}[${shape}]`);
        }
        for (const slope of [0.2, -0.5]) {
          using y = leakyRelu(x, slope);
          const want = Float64Array.from(v, (a) => (a >= 0 ? a : a * slope));
          close(t, y.toFloat32(), want, bound(dtype, want, 1.2e-7, 0), `leakyRelu(${slope}) ${dtype}[${shape}]`);
        }
        const { t: b, v: bv } = input(shape, dtype, n * 5 + 2, -8, 8);
        using _b = b;
        for (const tt of [0, 0.25, 1, -0.5]) {
          using y = lerp(x, b, tt);
          const want = Float64Array.from(v, (a, i) => a + tt * (bv[i]! - a));
          const out = dtype === "bf16" ? 2 ** -8 : 0;
          close(t, y.toFloat32(), want, (i) => 4e-7 * (Math.abs(v[i]!) + Math.abs(tt * (bv[i]! - v[i]!))) + out * Math.abs(want[i]!) + 1e-30,
            `lerp t=${tt} ${dtype}[${shape}]`);
        }
      }
    }
    using special = Tensor.from([0, -0, 40, -40, 100, -100, 1e-30], [7]);
    for (const [name, { fn, ref }] of Object.entries(ACTIVATIONS)) {
      using y = fn(special);
      const want = Array.from(special.toFloat32(), ref);
      close(t, y.toFloat32(), want, (i) => 1e-6 * Math.abs(want[i]!) + 1e-30, `${name} at 0, ±40, ±100, 1e-30`);
    }
  });

  await t.test(`softmax, mean and std on ${isa}`, async (t) => {
    for (const d of LAST_DIMS) {
      for (const dtype of FLOAT_DTYPES) {
        for (const [lead, offset] of [[[], 0], [[3], 0], [[2, 3], 1000]] as const) {
          const shape: number[] = [...lead, d];
          const rows = shape.reduce((a, b) => a * b, 1) / d;
          const { t: x, v } = input(shape, dtype, d * 11 + lead.length, offset - 30, offset + 30);
          using _x = x;
          using s = softmax(x);
          const want = new Float64Array(v.length);
          const mu = new Float64Array(rows), sdPop = new Float64Array(rows), sdUnb = new Float64Array(rows), absMean = new Float64Array(rows);
          for (let r = 0; r < rows; r++) {
            const row = v.subarray(r * d, r * d + d);
            const m = Math.max(...row);
            const z = row.reduce((a, b) => a + Math.exp(b - m), 0);
            row.forEach((a, i) => (want[r * d + i] = Math.exp(a - m) / z));
            mu[r] = row.reduce((a, b) => a + b, 0) / d;
            absMean[r] = row.reduce((a, b) => a + Math.abs(b), 0) / d;
            const ss = row.reduce((a, b) => a + (b - mu[r]!) ** 2, 0);
            sdPop[r] = Math.sqrt(ss / d);
            sdUnb[r] = Math.sqrt(ss / (d - 1));
          }
          close(t, s.toFloat32(), want, bound(dtype, want, 1e-5, 1e-9), `softmax ${dtype}[${shape}] offset ${offset}`);
          using m = mean(x);
          using sp = std(x);
          using su = std(x, { unbiased: true });
          t.same(m.shape, lead);
          const out = dtype === "bf16" ? 2 ** -8 : 0;
          close(t, m.toFloat32(), mu, (r) => 1e-6 * absMean[r]! + out * Math.abs(mu[r]!), `mean ${dtype}[${shape}]`);
          // The std of x's stored values: with offset 1000 the f32 mean has ulp 2^-14, far below the ~17 std.
          close(t, sp.toFloat32(), sdPop, bound(dtype, sdPop, 1e-5, 1e-6), `std ${dtype}[${shape}]`);
          if (d > 1) close(t, su.toFloat32(), sdUnb, bound(dtype, sdUnb, 1e-5, 1e-6), `std unbiased ${dtype}[${shape}]`);
          else t.ok(Array.from(su.toFloat32()).every(Number.isNaN), "unbiased std of one element is NaN (0/0, as in PyTorch)");
        }
      }
    }
  });
}).catch((e: unknown) => t.fail(String(e)));

t.test("activation errors name the op, the arguments and their shapes", async (t) => {
  using x = Tensor.zeros([2, 3]);
  using y = Tensor.zeros([3, 2]);
  using h = Tensor.zeros([4], "f8e4m3");
  using e = Tensor.zeros([2, 0]);
  throwsWith(t, () => geluTanh(h), ["aiprod.gelu_tanh", "x is f8e4m3[4]", "f32 or bf16"], "f8 input");
  throwsWith(t, () => silu(h), ["aiprod.silu", "f8e4m3[4]"], "f8 input to silu");
  throwsWith(t, () => leakyRelu(x, Number.POSITIVE_INFINITY), ["aiprod.leaky_relu", "slope is Infinity"], "bad slope");
  throwsWith(t, () => lerp(x, y, 0.5), ["aiprod.lerp", "a is f32[2,3]", "b is f32[3,2]"], "lerp shapes");
  throwsWith(t, () => lerp(x, x, Number.NaN), ["aiprod.lerp", "t is NaN"], "lerp t");
  throwsWith(t, () => softmax(e), ["aiprod.softmax", "x is f32[2,0]", "non-empty last dim"], "softmax empty row");
  throwsWith(t, () => mean(e), ["aiprod.mean", "f32[2,0]"], "mean empty row");
  const gone = Tensor.zeros([5]);
  gone.dispose();
  throwsWith(t, () => softmax(gone), ["aiprod.softmax", "disposed"], "disposed tensor");
  throwsWith(t, () => std(gone), ["aiprod.std", "disposed"], "disposed tensor to std");
});
