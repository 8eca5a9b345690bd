// linear and matmul on every kernel path against a float64 reference: f32 weights, bf16 weights, f8e4m3 weights
// with scale, fused epilogues, odd sizes, and sizes that cross the K block (256/512) and M block (~190) edges.
// Error bound per element: |ours - exact| <= 2·K·2^-24·Σ_k|x_k·w_k| (f32 accumulation) + the epilogue's
// approximation error (GELU through exp: 1e-6 relative) + 1e-30.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import t from "tap";
import { linear, matmul, Tensor } from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";
import { encode, F8E4M3 } from "../helpers/numberFormats.js";
import { f8Value, geluTanh, randn, roundBf16, worstError } from "../helpers/reference.js";

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 17, 5], [14, 33, 32], [15, 64, 33], [29, 300, 70], [200, 513, 47], [7, 1030, 129],
];

type WeightKind = "f32" | "bf16" | "f8e4m3";

function reference(x: Float32Array, w: Float64Array, m: number, k: number, n: number, bf16Math: boolean) {
  const want = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const xv = bf16Math ? roundBf16(x[i * k + p]!) : x[i * k + p]!;
        const prod = xv * w[j * k + p]!;
        acc += prod;
        abs += Math.abs(prod);
      }
      want[i * n + j] = acc;
      mag[i * n + j] = abs;
    }
  }
  return { want, mag };
}

function makeWeight(kind: WeightKind, n: number, k: number, seed: number, scale: number) {
  const raw = randn(n * k, seed);
  if (kind === "f8e4m3") {
    const bits = Uint8Array.from(raw, (v) => encode(F8E4M3, v * 8));
    const values = Float64Array.from(bits, (b) => roundBf16(f8Value(b) * scale));
    return { tensor: Tensor.from(bits, [n, k], "f8e4m3"), values };
  }
  const tensor = Tensor.from(raw, [n, k], kind);
  const values = Float64Array.from(tensor.toFloat32());
  return { tensor, values };
}

forEachIsa(async (isa) => {
  await t.test(`linear on ${isa}`, async (t) => {
    let seed = 1;
    for (const [m, k, n] of SHAPES) {
      for (const kind of ["f32", "bf16", "f8e4m3"] as WeightKind[]) {
        const scale = kind === "f8e4m3" ? 0.03125 : 1;
        const xv = randn(m * k, seed++);
        using x = Tensor.from(xv, [m, k]);
        const w = makeWeight(kind, n, k, seed++, scale);
        using wt = w.tensor;
        const { want, mag } = reference(xv, w.values, m, k, n, kind !== "f32");
        using y = linear(x, wt, kind === "f8e4m3" ? { weightScale: scale } : {});
        t.same(y.shape, [m, n]);
        const err = worstError(y.toFloat32(), want, mag, 2 * k * 2 ** -24, 1e-30);
        t.ok(err.ratio <= 1, `${kind} weights, M=${m} K=${k} N=${n}: worst error ${err.ratio.toFixed(3)} of bound at ${err.index}`);
      }
    }
  });

  await t.test(`linear epilogues on ${isa}`, async (t) => {
    for (const [m, k, n] of [[5, 40, 19], [31, 260, 65]] as [number, number, number][]) {
      const xv = randn(m * k, 11), wv = randn(n * k, 12), bv = randn(n, 13), gv = randn(m * n, 14), rv = randn(m * n, 15);
      using x = Tensor.from(xv, [1, m, k]);
      using w = Tensor.from(wv, [n, k]);
      using bias = Tensor.from(bv, [n]);
      using gate = Tensor.from(gv, [1, m, n]);
      using residual = Tensor.from(rv, [1, m, n]);
      using y = linear(x, w, { bias, activation: "gelu_tanh", gate, residual });
      t.same(y.shape, [1, m, n]);
      const { want, mag } = reference(xv, Float64Array.from(wv), m, k, n, false);
      const expected = want.map((v, i) => rv[i]! + gv[i]! * geluTanh(v + bv[i % n]!));
      // pre-activation error (bound on the dot product) scaled by |gate| (GELU's slope is below 1.13), plus the
      // approximation of tanh and f32 rounding of the epilogue itself
      const bound = mag.map((s, i) => (2 * k * 2 ** -24 * s * 1.13 + 2e-6 * (Math.abs(expected[i]!) + 1)) * Math.max(1, Math.abs(gv[i]!)));
      const err = worstError(y.toFloat32(), expected, bound, 1, 1e-30);
      t.ok(err.ratio <= 1, `bias+gelu+gate+residual M=${m} K=${k} N=${n}: worst ${err.ratio.toFixed(3)} of bound`);
      using onlyBias = linear(x, w, { bias });
      const e2 = worstError(onlyBias.toFloat32(), want.map((v, i) => v + bv[i % n]!), mag.map((s, i) => s + Math.abs(bv[i % n]!)), 2 * k * 2 ** -24, 1e-30);
      t.ok(e2.ratio <= 1, `bias only: worst ${e2.ratio.toFixed(3)} of bound`);
    }
  });

  await t.test(`matmul on ${isa}`, async (t) => {
    for (const [b, m, k, n] of [[1, 3, 5, 7], [4, 17, 300, 33], [2, 64, 64, 64]] as [number, number, number, number][]) {
      const av = randn(b * m * k, 21), bv = randn(b * k * n, 22);
      using a = Tensor.from(av, [b, m, k]);
      using bt = Tensor.from(bv, [b, k, n]);
      using c = matmul(a, bt);
      t.same(c.shape, [b, m, n]);
      const got = c.toFloat32();
      const want = new Float64Array(b * m * n), mag = new Float64Array(b * m * n);
      for (let q = 0; q < b; q++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let acc = 0, abs = 0;
            for (let p = 0; p < k; p++) {
              const prod = av[q * m * k + i * k + p]! * bv[q * k * n + p * n + j]!;
              acc += prod;
              abs += Math.abs(prod);
            }
            want[(q * m + i) * n + j] = acc;
            mag[(q * m + i) * n + j] = abs;
          }
      const err = worstError(got, want, mag, 2 * k * 2 ** -24, 1e-30);
      t.ok(err.ratio <= 1, `B=${b} M=${m} K=${k} N=${n}: worst ${err.ratio.toFixed(3)} of bound`);
      // the same product with b given transposed, and with a shared 2-D b
      const bT = new Float32Array(b * n * k);
      for (let q = 0; q < b; q++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bT[q * n * k + j * k + p] = bv[q * k * n + p * n + j]!;
      using btT = Tensor.from(bT, [b, n, k]);
      using c2 = matmul(a, btT, { transposeB: true });
      t.ok(worstError(c2.toFloat32(), want, mag, 2 * k * 2 ** -24, 1e-30).ratio <= 1, "transposeB gives the same product");
      using b2 = Tensor.from(bv.subarray(0, k * n), [k, n]);
      using c3 = matmul(a, b2);
      const first = c3.toFloat32().subarray(0, m * n);
      t.ok(worstError(first, want.subarray(0, m * n), mag.subarray(0, m * n), 2 * k * 2 ** -24, 1e-30).ratio <= 1, "2-D b broadcasts over the batch");
    }
  });
}).catch((e: unknown) => t.fail(String(e)));

t.test("linear and matmul argument errors name the op and the shapes", async (t) => {
  using x = Tensor.zeros([4, 8]);
  using w = Tensor.zeros([3, 9]);
  using w16 = Tensor.zeros([3, 8], "f16");
  using w8 = Tensor.zeros([3, 8]);
  using badBias = Tensor.zeros([4]);
  t.throws(() => linear(x, w), { message: "aiprod.linear: inner sizes differ: x is f32[4,8] (K=8), weight is f32[3,9] (K=9)" });
  t.throws(() => linear(x, w16), { message: "aiprod.linear: weight is f16[3,8]; f16 weights are not supported (cast to bf16 or f32)" });
  t.throws(() => linear(x, w8, { bias: badBias }), { message: "aiprod.linear: bias is f32[4]; expected f32[3] for weight f32[3,8]" });
  t.throws(() => linear(x, w8, { gate: badBias }), { message: "aiprod.linear: gate is f32[4]; expected the output shape [4,3]" });
  t.throws(() => linear(x, w8, { activation: "relu" as never }), { message: "aiprod.linear: unknown activation 'relu'; expected 'none' or 'gelu_tanh'" });
  t.throws(() => linear(x, w8, { weightScale: 2 }), { message: "aiprod.linear: weightScale applies to f8e4m3 weights only" });
  using a = Tensor.zeros([2, 3, 4]);
  using b = Tensor.zeros([3, 5, 6]);
  t.throws(() => matmul(a, b), { message: "aiprod.matmul: inner sizes differ: a is f32[2,3,4], b is f32[3,5,6]" });
  using b2 = Tensor.zeros([3, 4, 6]);
  t.throws(() => matmul(a, b2), { message: /batch dimensions differ: a is f32\[2,3,4\], b is f32\[3,4,6\]/ });
  using v = Tensor.zeros([4]);
  t.throws(() => matmul(v, v), { message: "aiprod.matmul: a and b need at least 2 dimensions, got a f32[4] and b f32[4]" });
});

t.test("bf16 activations are accepted", async (t) => {
  using x = Tensor.from([1, 2, 3, 4], [2, 2], "bf16");
  using w = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2]);
  using y = linear(x, w);
  t.same(Array.from(y.toFloat32()), [1, 2, 3, 3, 4, 7]);
});

t.test("packed weights are reused, and a rewritten weight is never served stale", async (t) => {
  using x = Tensor.from(randn(40 * 64, 7), [40, 64]);
  const w0 = randn(33 * 64, 8), w1 = randn(33 * 64, 9);
  using w = Tensor.from(w0, [33, 64]);
  using a = linear(x, w);
  using b = linear(x, w); // from the packed-weight cache
  t.same(Array.from(b.toFloat32()), Array.from(a.toFloat32()), "same weights, same result");
  w.write(w1);
  using c = linear(x, w);
  using fresh = Tensor.from(w1, [33, 64]);
  using d = linear(x, fresh);
  t.same(Array.from(c.toFloat32()), Array.from(d.toFloat32()), "after write(), the new values are used");
  t.notSame(Array.from(c.toFloat32()), Array.from(a.toFloat32()));
});

t.test("a large product gives its packed workspace back afterwards", async (t) => {
  // In a fresh process, so that collecting this file's JavaScript garbage cannot hide the growth.
  const r = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "fixtures", "scratchTrim.ts")], { encoding: "utf8" });
  t.equal(r.status, 0, r.stderr);
  const [grown, shape] = r.stdout.trim().split(" ");
  t.equal(shape, "64x4096");
  t.ok(Number(grown) < 48, `rss grew by ${grown} MiB (< 48 MiB; the packed b is 128 MiB)`);
});
