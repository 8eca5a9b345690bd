// attention on every kernel path against a float64 reference (scores, softmax, weighted sum written from the
// definition), with grouped-query heads, Nq != Nk, odd head dims, bias (broadcast and per-head, with -inf
// entries), causal and sliding-window masks, and sizes that cross the key block (256) and query block edges.
// Bound: |ours - exact| <= 2e-5 · max|v| per element (f32 scores and accumulation, exp within 2 ulp).
import t from "tap";
import { attention, Tensor } from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";
import { randn } from "../helpers/reference.js";

interface Case {
  b: number; h: number; hkv: number; nq: number; nk: number; d: number;
  bias?: "2d" | "per-head"; causal?: boolean; window?: number;
}

const CASES: Case[] = [
  { b: 1, h: 1, hkv: 1, nq: 1, nk: 1, d: 1 },
  { b: 1, h: 2, hkv: 2, nq: 5, nk: 7, d: 3 },
  { b: 2, h: 4, hkv: 2, nq: 33, nk: 47, d: 64 },
  { b: 1, h: 2, hkv: 1, nq: 70, nk: 300, d: 128 },
  { b: 1, h: 1, hkv: 1, nq: 130, nk: 600, d: 17, bias: "2d" },
  { b: 2, h: 3, hkv: 3, nq: 40, nk: 270, d: 64, bias: "per-head" },
  { b: 1, h: 2, hkv: 2, nq: 300, nk: 300, d: 64, causal: true },
  { b: 1, h: 4, hkv: 2, nq: 300, nk: 300, d: 32, causal: true, window: 50 },
  { b: 1, h: 1, hkv: 1, nq: 64, nk: 64, d: 16, window: 9 },
  { b: 1, h: 2, hkv: 1, nq: 40, nk: 2100, d: 64 }, // long keys
  { b: 1, h: 4, hkv: 2, nq: 520, nk: 300, d: 64 }, // enough query tiles for several per task on the fused path
];

function visible(c: Case, i: number, j: number): boolean {
  if (c.causal && j > i) return false;
  if (c.window && Math.abs(i - j) >= c.window) return false;
  return true;
}

function reference(c: Case, q: Float32Array, k: Float32Array, v: Float32Array, bias: Float32Array | undefined, scale: number): Float64Array {
  const out = new Float64Array(c.b * c.h * c.nq * c.d);
  const group = c.h / c.hkv;
  const s = new Float64Array(c.nk);
  for (let b = 0; b < c.b; b++)
    for (let h = 0; h < c.h; h++) {
      const g = Math.floor(h / group);
      for (let i = 0; i < c.nq; i++) {
        const qo = ((b * c.h + h) * c.nq + i) * c.d;
        let mx = -Infinity;
        for (let j = 0; j < c.nk; j++) {
          const ko = ((b * c.hkv + g) * c.nk + j) * c.d;
          let dot = 0;
          for (let t = 0; t < c.d; t++) dot += q[qo + t]! * k[ko + t]!;
          const bo = c.bias === "per-head" ? (h * c.nq + i) * c.nk + j : i * c.nk + j;
          s[j] = visible(c, i, j) ? scale * dot + (bias ? bias[bo]! : 0) : -Infinity;
          mx = Math.max(mx, s[j]!);
        }
        if (mx === -Infinity) continue; // all masked: zeros
        let sum = 0;
        for (let j = 0; j < c.nk; j++) sum += (s[j] = Math.exp(s[j]! - mx));
        for (let j = 0; j < c.nk; j++) {
          const vo = ((b * c.hkv + g) * c.nk + j) * c.d;
          for (let t = 0; t < c.d; t++) out[qo + t]! += (s[j]! / sum) * v[vo + t]!;
        }
      }
    }
  return out;
}

forEachIsa(async (isa) => {
  await t.test(`attention on ${isa}`, async (t) => {
    let seed = 100;
    for (const c of CASES) {
      const qv = randn(c.b * c.h * c.nq * c.d, seed++);
      const kv = randn(c.b * c.hkv * c.nk * c.d, seed++);
      const vv = randn(c.b * c.hkv * c.nk * c.d, seed++);
      using q = Tensor.from(qv, [c.b, c.h, c.nq, c.d]);
      using k = Tensor.from(kv, [c.b, c.hkv, c.nk, c.d]);
      using v = Tensor.from(vv, [c.b, c.hkv, c.nk, c.d]);
      let biasValues: Float32Array | undefined;
      let bias: Tensor | undefined;
      if (c.bias) {
        const planes = c.bias === "per-head" ? c.h : 1;
        biasValues = randn(planes * c.nq * c.nk, seed++).map((x, i) => (i % 11 === 5 ? -Infinity : x));
        bias = Tensor.from(biasValues, c.bias === "per-head" ? [1, c.h, c.nq, c.nk] : [c.nq, c.nk]);
      }
      const scale = 1 / Math.sqrt(c.d);
      using o = attention(q, k, v, { ...(bias ? { bias } : {}), ...(c.causal ? { causal: true } : {}), ...(c.window ? { window: c.window } : {}) });
      bias?.dispose();
      t.same(o.shape, [c.b, c.h, c.nq, c.d]);
      const want = reference(c, qv, kv, vv, biasValues, scale);
      const got = o.toFloat32();
      const maxV = vv.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      t.ok(worst <= 2e-5 * maxV, `${JSON.stringify(c)}: max error ${worst.toExponential(2)} (bound ${(2e-5 * maxV).toExponential(2)})`);
    }
  });
}).catch((e: unknown) => t.fail(String(e)));

forEachIsa(async (isa) => {
  await t.test(`bf16 inputs on ${isa}`, async (t) => {
    // bf16 inputs: the reference takes the bf16 values exactly; the kernel may round P to bf16 (2^-9 relative
    // per weight), so the bound is 4e-3 · max|v|.
    let seed = 300;
    for (const c of [CASES[2]!, CASES[3]!, CASES[5]!, CASES[7]!]) {
      using q = Tensor.from(randn(c.b * c.h * c.nq * c.d, seed++), [c.b, c.h, c.nq, c.d], "bf16");
      using k = Tensor.from(randn(c.b * c.hkv * c.nk * c.d, seed++), [c.b, c.hkv, c.nk, c.d], "bf16");
      using v = Tensor.from(randn(c.b * c.hkv * c.nk * c.d, seed++), [c.b, c.hkv, c.nk, c.d], "bf16");
      const vv = v.toFloat32();
      const want = reference(c, q.toFloat32(), k.toFloat32(), vv, undefined, 1 / Math.sqrt(c.d));
      using o = attention(q, k, v, { ...(c.causal ? { causal: true } : {}), ...(c.window ? { window: c.window } : {}) });
      const got = o.toFloat32();
      const maxV = vv.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      t.ok(worst <= 4e-3 * maxV, `${JSON.stringify({ ...c, bias: undefined })}: max error ${worst.toExponential(2)}`);
    }
  });
}).catch((e: unknown) => t.fail(String(e)));

forEachIsa(async (isa) => {
  await t.test(`scores that rise and fall across key blocks on ${isa}`, async (t) => {
    // The AVX-512 path fuses the softmax into the score kernel against a running max that it moves only when a
    // block's weights for a query sum past 2^20 (scores more than ~20 bits above it), and recomputes a block whose
    // weights overflowed (scores more than 128 bits, ~89 nats, above it). Key groups of growing (or shrinking)
    // amplitude reach each branch: amplitude 6 raises the max by about 15 nats, amplitude 40 by about 100;
    // falling scores keep it.
    const c: Case = { b: 1, h: 2, hkv: 2, nq: 45, nk: 900, d: 64 };
    for (const amps of [[1, 6, 40], [40, 6, 1], [6, 1, 6]]) {
      const qv = randn(c.b * c.h * c.nq * c.d, 700);
      const vv = randn(c.b * c.hkv * c.nk * c.d, 702);
      const kv = randn(c.b * c.hkv * c.nk * c.d, 701).map((x, i) => x * amps[Math.floor((Math.floor(i / c.d) % c.nk) / 300)]!);
      using q = Tensor.from(qv, [c.b, c.h, c.nq, c.d]);
      using k = Tensor.from(kv, [c.b, c.hkv, c.nk, c.d]);
      using v = Tensor.from(vv, [c.b, c.hkv, c.nk, c.d]);
      using o = attention(q, k, v);
      const want = reference(c, qv, kv, vv, undefined, 1 / Math.sqrt(c.d));
      const got = o.toFloat32();
      const maxV = vv.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      t.ok(worst <= 2e-5 * maxV, `amplitudes ${amps.join("/")}: max error ${worst.toExponential(2)} (bound ${(2e-5 * maxV).toExponential(2)})`);
    }
  });
}).catch((e: unknown) => t.fail(String(e)));

t.test("rows whose keys are all masked give zeros", async (t) => {
  using q = Tensor.from(randn(2 * 4, 1), [1, 1, 2, 4]);
  using k = Tensor.from(randn(3 * 4, 2), [1, 1, 3, 4]);
  using v = Tensor.from(randn(3 * 4, 3), [1, 1, 3, 4]);
  using bias = Tensor.from([-Infinity, -Infinity, -Infinity, 0, 0, 0], [2, 3]);
  using o = attention(q, k, v, { bias });
  const got = Array.from(o.toFloat32());
  t.same(got.slice(0, 4), [0, 0, 0, 0]);
  t.ok(got.slice(4).every((x) => Number.isFinite(x) && x !== 0));
});

t.test("attention argument errors", async (t) => {
  using q = Tensor.zeros([1, 3, 4, 8]);
  using k = Tensor.zeros([1, 2, 5, 8]);
  using k2 = Tensor.zeros([1, 1, 5, 8]);
  using v2 = Tensor.zeros([1, 1, 5, 7]);
  using flat = Tensor.zeros([4, 8]);
  t.throws(() => attention(q, k, k), { message: "aiprod.attention: query heads (3) must be a multiple of kv heads (2): q f32[1,3,4,8], k f32[1,2,5,8], v f32[1,2,5,8]" });
  t.throws(() => attention(q, k2, v2), { message: /aiprod.attention: k and v shapes differ/ });
  t.throws(() => attention(flat, k2, k2), { message: "aiprod.attention: q is f32[4,8]; expected [batch, heads, tokens, head_dim]" });
  using badBias = Tensor.zeros([4, 4]);
  t.throws(() => attention(q, k2, k2, { bias: badBias }), { message: /aiprod.attention: bias is f32\[4,4\]; expected \[4,5\] or \[1\|batch, 1\|heads, 4, 5\]/ });
  t.throws(() => attention(q, k2, k2, { window: -1 }), { message: "aiprod.attention: option 'window' must be a non-negative integer" });
});
