// rmsNorm, layerNorm, pixelNorm, groupNorm, adaLN, addMul on every kernel path against float64 models written
// from the formulas. Bounds (f32 outputs): rms/pixel norm 1e-5 relative + 1e-6 absolute; layer/group norm
// 1e-5 relative + 1e-5 absolute (x − mean cancels); adaLN/addMul 4e-7 of the summed term magnitudes (a few
// f32 roundings). bf16 outputs add the output rounding, 2^-8 relative. Inputs are the exact stored values.
import t from "tap";
import { adaLN, addMul, groupNorm, layerNorm, pixelNorm, rmsNorm, Tensor } from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";
import { bound, close, FLOAT_DTYPES, input, LAST_DIMS, throwsWith } from "../helpers/pointwise.js";

function rmsRef(x: Float64Array, d: number, eps: number, w?: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[r * d + i]! ** 2;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = x[r * d + i]! * inv * (w ? w[i]! : 1);
  }
  return y;
}

function layerRef(x: Float64Array, d: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    const row = x.subarray(r * d, r * d + d);
    const mu = row.reduce((a, b) => a + b, 0) / d;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / d;
    for (let i = 0; i < d; i++) y[r * d + i] = (row[i]! - mu) / Math.sqrt(v + eps);
  }
  return y;
}

/** x [outer, c, inner] normalized over c. */
function pixelRef(x: Float64Array, outer: number, c: number, inner: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < inner; s++) {
      let ss = 0;
      for (let k = 0; k < c; k++) ss += x[(o * c + k) * inner + s]! ** 2;
      const inv = 1 / Math.sqrt(ss / c + eps);
      for (let k = 0; k < c; k++) y[(o * c + k) * inner + s] = x[(o * c + k) * inner + s]! * inv;
    }
  }
  return y;
}

function groupRef(x: Float64Array, B: number, C: number, S: number, G: number, eps: number, w?: Float64Array, b?: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  const cg = C / G;
  for (let n = 0; n < B; n++) {
    for (let g = 0; g < G; g++) {
      const idx: number[] = [];
      for (let c = g * cg; c < (g + 1) * cg; c++) for (let s = 0; s < S; s++) idx.push((n * C + c) * S + s);
      const mu = idx.reduce((a, i) => a + x[i]!, 0) / idx.length;
      const v = idx.reduce((a, i) => a + (x[i]! - mu) ** 2, 0) / idx.length;
      for (const i of idx) {
        const c = Math.floor(i / S) % C;
        y[i] = ((x[i]! - mu) / Math.sqrt(v + eps)) * (w ? w[c]! : 1) + (b ? b[c]! : 0);
      }
    }
  }
  return y;
}

/** Row of a [B,T,D] parameter p for batch b, token t, given p's shape (broadcast dims of size 1, or missing). */
function paramIndex(pShape: readonly number[], b: number, tok: number, i: number, D: number): number {
  if (pShape.length === 1) return i;
  if (pShape.length === 2) return tok * D + i;
  const pb = pShape[0] === 1 ? 0 : b;
  const pt = pShape[1] === 1 ? 0 : tok;
  return (pb * pShape[1]! + pt) * D + i;
}

forEachIsa(async (isa) => {
  await t.test(`rmsNorm and layerNorm on ${isa}`, async (t) => {
    for (const d of LAST_DIMS) {
      for (const dtype of FLOAT_DTYPES) {
        for (const lead of [[], [3], [2, 3]]) {
          const shape = [...lead, d];
          const { t: x, v } = input(shape, dtype, d * 17 + lead.length, -3, 3);
          const { t: w, v: wv } = input([d], dtype, d + 5, 0.5, 1.5);
          using _x = x;
          using _w = w;
          using y1 = rmsNorm(x);
          using y2 = rmsNorm(x, { weight: w, eps: 1e-3 });
          using y3 = layerNorm(x);
          t.same(y1.shape, shape);
          t.equal(y2.dtype, dtype);
          const r1 = rmsRef(v, d, 1e-6);
          const r2 = rmsRef(v, d, 1e-3, wv);
          const r3 = layerRef(v, d, 1e-6);
          close(t, y1.toFloat32(), r1, bound(dtype, r1, 1e-5, 1e-6), `rmsNorm ${dtype}[${shape}]`);
          close(t, y2.toFloat32(), r2, bound(dtype, r2, 1e-5, 1e-6), `rmsNorm weight eps=1e-3 ${dtype}[${shape}]`);
          close(t, y3.toFloat32(), r3, bound(dtype, r3, 1e-5, 1e-5), `layerNorm ${dtype}[${shape}]`);
        }
      }
    }
    // A large common offset: a one-pass E[x²]−mean² variance would lose every digit here (var ≈ 0.08 against
    // E[x²] ≈ 1e6). Two-pass in f32 still rounds x and the mean at ulp(1000) = 2^-14, so the bound is two such
    // ulps divided by the std (≈ 0.29).
    const { t: x, v } = input([4, 257], "f32", 99, 1000, 1001);
    using _x = x;
    using y = layerNorm(x, { eps: 1e-5 });
    const r = layerRef(v, 257, 1e-5);
    close(t, y.toFloat32(), r, () => (2 * 2 ** -14) / 0.28, "layerNorm with mean 1000");
  });

  await t.test(`many rows, split over the thread pool, on ${isa}`, async (t) => {
    // 3000 rows of 65: about six pool chunks, so rows at chunk offsets are exercised.
    for (const dtype of FLOAT_DTYPES) {
      const { t: x, v } = input([2, 1500, 65], dtype, 4242);
      const { t: sc, v: sv } = input([2, 1, 65], "f32", 4343, -1, 1);
      using _x = x;
      using _s = sc;
      using y1 = rmsNorm(x);
      using y2 = layerNorm(x);
      using y3 = adaLN(x, sc, sc);
      const r1 = rmsRef(v, 65, 1e-6);
      const r2 = layerRef(v, 65, 1e-6);
      const r3 = Float64Array.from(v, (a, i) => {
        const p = Math.floor(i / (1500 * 65)) * 65 + (i % 65);
        return a * (1 + sv[p]!) + sv[p]!;
      });
      close(t, y1.toFloat32(), r1, bound(dtype, r1, 1e-5, 1e-6), `rmsNorm ${dtype}[2,1500,65]`);
      close(t, y2.toFloat32(), r2, bound(dtype, r2, 1e-5, 1e-5), `layerNorm ${dtype}[2,1500,65]`);
      close(t, y3.toFloat32(), r3, bound(dtype, r3, 1e-6, 1e-5), `adaLN ${dtype}[2,1500,65] with [2,1,65] tables`);
    }
  });

  await t.test(`pixelNorm on ${isa}`, async (t) => {
    const cases: [number[], number][] = [
      [[2, 3, 3, 5, 7], 1], [[1, 17, 2, 9, 65], 1], [[2, 65, 1, 3, 3], 1], [[1, 1, 4, 4], 1],
      [[3, 129], 1], [[5, 63], -1], [[2, 3, 1000], 2], [[2, 4, 600], 1],
    ];
    for (const [shape, dim] of cases) {
      for (const dtype of FLOAT_DTYPES) {
        const { t: x, v } = input(shape, dtype, shape.length * 7 + shape[1]!);
        using _x = x;
        using y = pixelNorm(x, dim === 1 ? {} : { dim });
        const k = dim < 0 ? dim + shape.length : dim;
        const outer = shape.slice(0, k).reduce((a, b) => a * b, 1);
        const inner = shape.slice(k + 1).reduce((a, b) => a * b, 1);
        const r = pixelRef(v, outer, shape[k]!, inner, 1e-8);
        close(t, y.toFloat32(), r, bound(dtype, r, 1e-5, 1e-6), `pixelNorm dim=${dim} ${dtype}[${shape}]`);
      }
    }
  });

  await t.test(`groupNorm on ${isa}`, async (t) => {
    const cases: [number[], number][] = [[[2, 6, 5, 7], 3], [[1, 32, 3, 4, 5], 32], [[2, 17, 129], 1], [[3, 4, 1], 2], [[1, 8, 1000], 4]];
    for (const [shape, groups] of cases) {
      for (const dtype of FLOAT_DTYPES) {
        const C = shape[1]!;
        const S = shape.slice(2).reduce((a, b) => a * b, 1);
        const { t: x, v } = input(shape, dtype, C * 3 + groups, -2, 4);
        const { t: w, v: wv } = input([C], "f32", C, 0.5, 2);
        const { t: b, v: bv } = input([C], "bf16", C + 1, -1, 1);
        using _x = x;
        using _w = w;
        using _b = b;
        using y1 = groupNorm(x, groups);
        using y2 = groupNorm(x, groups, { weight: w, bias: b, eps: 1e-6 });
        const r1 = groupRef(v, shape[0]!, C, S, groups, 1e-5);
        const r2 = groupRef(v, shape[0]!, C, S, groups, 1e-6, wv, bv);
        close(t, y1.toFloat32(), r1, bound(dtype, r1, 1e-5, 1e-5), `groupNorm ${groups} groups ${dtype}[${shape}]`);
        close(t, y2.toFloat32(), r2, bound(dtype, r2, 1e-5, 1e-5), `groupNorm affine ${dtype}[${shape}]`);
      }
    }
  });

  await t.test(`adaLN and addMul on ${isa}`, async (t) => {
    for (const D of [1, 17, 65, 1000]) {
      const B = 2, T = 3;
      for (const pShape of [[B, T, D], [B, 1, D], [1, T, D], [1, 1, D], [T, D], [D]]) {
        for (const dtype of FLOAT_DTYPES) {
          const { t: x, v: xv } = input([B, T, D], dtype, D + pShape.length);
          const { t: sc, v: sv } = input(pShape, dtype, D * 2 + 1, -1, 1);
          const { t: sh, v: hv } = input(pShape, "f32", D * 3 + 1);
          const { t: res, v: rv } = input([B, T, D], dtype, D * 5 + 2);
          using _x = x;
          using _s = sc;
          using _h = sh;
          using _r = res;
          using y = adaLN(x, sc, sh);
          using z = addMul(res, x, sc);
          const want = new Float64Array(B * T * D), mag = new Float64Array(B * T * D);
          const want2 = new Float64Array(B * T * D), mag2 = new Float64Array(B * T * D);
          for (let b = 0; b < B; b++) for (let tk = 0; tk < T; tk++) for (let i = 0; i < D; i++) {
            const o = (b * T + tk) * D + i, p = paramIndex(pShape, b, tk, i, D);
            want[o] = xv[o]! * (1 + sv[p]!) + hv[p]!;
            mag[o] = Math.abs(xv[o]! * (1 + sv[p]!)) + Math.abs(hv[p]!);
            want2[o] = rv[o]! + xv[o]! * sv[p]!;
            mag2[o] = Math.abs(rv[o]!) + Math.abs(xv[o]! * sv[p]!);
          }
          const out = dtype === "bf16" ? 2 ** -8 : 0;
          close(t, y.toFloat32(), want, (i) => 4e-7 * mag[i]! + out * Math.abs(want[i]!) + 1e-30, `adaLN ${dtype} table [${pShape}] D=${D}`);
          close(t, z.toFloat32(), want2, (i) => 4e-7 * mag2[i]! + out * Math.abs(want2[i]!) + 1e-30, `addMul ${dtype} gate [${pShape}] D=${D}`);
        }
      }
    }
  });
}).catch((e: unknown) => t.fail(String(e)));

t.test("norm errors name the op, the arguments and their shapes", async (t) => {
  using x = Tensor.zeros([2, 3]);
  using w4 = Tensor.zeros([4]);
  using h = Tensor.zeros([2, 3], "f16");
  using x3 = Tensor.zeros([2, 3, 4]);
  using bad = Tensor.zeros([2, 4]);
  throwsWith(t, () => rmsNorm(x, { weight: w4 }), ["aiprod.rms_norm", "x is f32[2,3]", "weight is f32[4]"], "weight shape");
  throwsWith(t, () => rmsNorm(h), ["aiprod.rms_norm", "f16[2,3]", "f32 or bf16"], "f16 input");
  throwsWith(t, () => layerNorm(x, { eps: 0 }), ["aiprod.layer_norm", "eps is 0"], "eps 0");
  throwsWith(t, () => layerNorm(x, { eps: Number.NaN }), ["aiprod.layer_norm", "eps is NaN"], "eps NaN");
  throwsWith(t, () => pixelNorm(x, { dim: 2 }), ["aiprod.pixel_norm", "dim is 2", "f32[2,3]"], "dim out of range");
  throwsWith(t, () => groupNorm(x3, 2), ["aiprod.group_norm", "2 groups do not divide 3 channels", "f32[2,3,4]"], "groups");
  throwsWith(t, () => groupNorm(x3, 3, { weight: w4 }), ["aiprod.group_norm", "weight is f32[4]", "[3]"], "groupNorm weight");
  throwsWith(t, () => adaLN(x3, bad, x3), ["aiprod.ada_ln", "x is f32[2,3,4]", "scale is f32[2,4]"], "adaLN table shape");
  throwsWith(t, () => adaLN(x, x, x), ["aiprod.ada_ln", "x is f32[2,3]", "[B,T,D]"], "adaLN rank");
  throwsWith(t, () => addMul(x3, bad, x3), ["aiprod.add_mul", "residual is f32[2,3,4]", "x is f32[2,4]"], "addMul shapes");
  const gone = Tensor.zeros([2, 3]);
  gone.dispose();
  throwsWith(t, () => rmsNorm(gone), ["aiprod.rms_norm", "disposed", "f32[2,3]"], "disposed tensor");
  t.throws(() => rmsNorm(gone), { code: "ERR_AIPROD_DISPOSED" });
  throwsWith(t, () => rmsNorm({} as Tensor), ["aiprod.rms_norm", "'x' must be a Tensor"], "not a tensor");
});
