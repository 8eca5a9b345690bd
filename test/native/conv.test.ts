// conv3d/conv2d/conv1d on every kernel path against a float64 reference written from the definition (padding by
// source-index mapping), with zeros/reflect/replicate padding, LTX-2's causal and non-causal temporal padding,
// strides, odd sizes and channel counts that cross the 256-channel K block.
// Bound: |ours - exact| <= 2·K·2^-24·Σ|w·x| (f32 accumulation over K = Cin·taps terms).
import t from "tap";
import { conv1d, conv2d, conv3d, type PadMode, Tensor } from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";
import { randn, worstError } from "../helpers/reference.js";

interface Spec {
  b: number; cin: number; cout: number; in: [number, number, number]; k: [number, number, number];
  stride?: [number, number, number]; pad?: [number, number, number]; mode?: PadMode; tmode?: PadMode; causal?: boolean;
  winograd?: boolean; // takes the Winograd path on the SIMD paths (wider error bound, see below)
}

function src(i: number, len: number, mode: PadMode): number {
  if (i >= 0 && i < len) return i;
  if (mode === "zeros") return -1;
  if (mode === "replicate") return i < 0 ? 0 : len - 1;
  return i < 0 ? -i : 2 * (len - 1) - i;
}

function reference(s: Spec, x: Float32Array, w: Float32Array, bias: Float32Array) {
  const stride = s.stride ?? [1, 1, 1];
  const pf = [...(s.pad ?? [0, 0, 0])];
  const pb = [...(s.pad ?? [0, 0, 0])];
  const modes: PadMode[] = [s.tmode ?? s.mode ?? "zeros", s.mode ?? "zeros", s.mode ?? "zeros"];
  if (s.causal) {
    pf[0] = s.k[0] - 1;
    pb[0] = 0;
    modes[0] = "replicate";
  }
  const out = [0, 1, 2].map((a) => Math.floor((s.in[a]! + pf[a]! + pb[a]! - s.k[a]!) / stride[a]!) + 1) as [number, number, number];
  const n = s.b * s.cout * out[0] * out[1] * out[2];
  const want = new Float64Array(n), mag = new Float64Array(n);
  let idx = 0;
  for (let b = 0; b < s.b; b++)
    for (let co = 0; co < s.cout; co++)
      for (let ot = 0; ot < out[0]; ot++)
        for (let oy = 0; oy < out[1]; oy++)
          for (let ox = 0; ox < out[2]; ox++) {
            let acc = bias[co]!, abs = Math.abs(bias[co]!);
            for (let ci = 0; ci < s.cin; ci++)
              for (let dt = 0; dt < s.k[0]; dt++) {
                const st = src(ot * stride[0] + dt - pf[0]!, s.in[0], modes[0]!);
                for (let dy = 0; dy < s.k[1]; dy++) {
                  const sy = src(oy * stride[1] + dy - pf[1]!, s.in[1], modes[1]!);
                  for (let dx = 0; dx < s.k[2]; dx++) {
                    const sx = src(ox * stride[2] + dx - pf[2]!, s.in[2], modes[2]!);
                    if (st < 0 || sy < 0 || sx < 0) continue;
                    const p = w[(((co * s.cin + ci) * s.k[0] + dt) * s.k[1] + dy) * s.k[2] + dx]! *
                      x[(((b * s.cin + ci) * s.in[0] + st) * s.in[1] + sy) * s.in[2] + sx]!;
                    acc += p;
                    abs += Math.abs(p);
                  }
                }
              }
            want[idx] = acc;
            mag[idx++] = abs;
          }
  return { want, mag, out };
}

const SPECS: Spec[] = [
  { b: 1, cin: 1, cout: 1, in: [1, 1, 1], k: [1, 1, 1] },
  { b: 2, cin: 3, cout: 5, in: [4, 7, 9], k: [3, 3, 3], pad: [1, 1, 1] },
  { b: 1, cin: 8, cout: 17, in: [5, 9, 11], k: [3, 3, 3], pad: [0, 1, 1], mode: "reflect", causal: true },
  { b: 1, cin: 6, cout: 9, in: [3, 8, 6], k: [3, 3, 3], pad: [1, 1, 1], mode: "reflect", tmode: "replicate" },
  { b: 1, cin: 4, cout: 33, in: [3, 10, 13], k: [3, 3, 3], pad: [1, 2, 1], mode: "replicate", stride: [2, 2, 1] },
  { b: 1, cin: 300, cout: 20, in: [2, 5, 6], k: [1, 3, 3], pad: [0, 1, 1] },
  { b: 1, cin: 5, cout: 7, in: [6, 12, 12], k: [3, 3, 3], stride: [1, 2, 2], pad: [0, 1, 1], causal: true },
  // Winograd F(2x2, 3x3) (3x3 spatial kernel, unit spatial stride, Cin >= 32, Cout >= 48): odd sizes (partial edge
  // tiles), reflect padding, even sizes, temporal stride 2 and a 2D-like kt = 1.
  { b: 1, cin: 32, cout: 48, in: [4, 9, 11], k: [3, 3, 3], pad: [0, 1, 1], causal: true, winograd: true },
  { b: 2, cin: 33, cout: 50, in: [3, 7, 8], k: [3, 3, 3], pad: [1, 1, 1], mode: "reflect", tmode: "replicate", winograd: true },
  { b: 1, cin: 40, cout: 64, in: [5, 10, 12], k: [3, 3, 3], pad: [0, 1, 1], causal: true, stride: [2, 1, 1], winograd: true },
  { b: 1, cin: 32, cout: 49, in: [2, 6, 5], k: [1, 3, 3], pad: [0, 0, 1], mode: "replicate", winograd: true },
];

forEachIsa(async (isa) => {
  await t.test(`conv3d on ${isa}`, async (t) => {
    let seed = 500;
    for (const s of SPECS) {
      const xv = randn(s.b * s.cin * s.in[0] * s.in[1] * s.in[2], seed++);
      const wv = randn(s.cout * s.cin * s.k[0] * s.k[1] * s.k[2], seed++);
      const bv = randn(s.cout, seed++);
      using x = Tensor.from(xv, [s.b, s.cin, ...s.in]);
      using w = Tensor.from(wv, [s.cout, s.cin, ...s.k]);
      using bias = Tensor.from(bv, [s.cout]);
      using y = conv3d(x, w, {
        bias,
        ...(s.stride ? { stride: s.stride } : {}),
        ...(s.pad ? { padding: s.pad } : {}),
        ...(s.mode ? { padMode: s.mode } : {}),
        ...(s.tmode ? { temporalPadMode: s.tmode } : {}),
        ...(s.causal ? { causal: true } : {}),
      });
      const { want, mag, out } = reference(s, xv, wv, bv);
      t.same(y.shape, [s.b, s.cout, ...out], "output shape");
      const kTerms = s.cin * s.k[0] * s.k[1] * s.k[2];
      // Winograd: the transforms change rounding (V = Bᵀ d B grows inputs up to 4x, U = G g Gᵀ weights up to
      // 9/4x, Aᵀ M A sums 9 products' worth of M): 9x the direct bound covers it with room (measured ratios stay
      // far below 1).
      const err = worstError(y.toFloat32(), want, mag, (s.winograd ? 9 : 1) * 2 * kTerms * 2 ** -24, 1e-30);
      t.ok(err.ratio <= 1, `${JSON.stringify(s)}: worst ${err.ratio.toPrecision(3)} of bound`);
    }
  });

  await t.test(`conv2d and conv1d on ${isa}`, async (t) => {
    const x2 = randn(2 * 3 * 9 * 10, 1), w2 = randn(4 * 3 * 3 * 3, 2);
    using x = Tensor.from(x2, [2, 3, 9, 10]);
    using w = Tensor.from(w2, [4, 3, 3, 3]);
    using y = conv2d(x, w, { padding: 1, padMode: "reflect", stride: [1, 2] });
    const r2 = reference({ b: 2, cin: 3, cout: 4, in: [1, 9, 10], k: [1, 3, 3], pad: [0, 1, 1], mode: "reflect", stride: [1, 1, 2] }, x2, w2, new Float32Array(4));
    t.same(y.shape, [2, 4, r2.out[1], r2.out[2]]);
    t.ok(worstError(y.toFloat32(), r2.want, r2.mag, 2 * 27 * 2 ** -24, 1e-30).ratio <= 1, "conv2d matches");
    const x1 = randn(1 * 5 * 40, 3), w1 = randn(6 * 5 * 7, 4);
    using x1t = Tensor.from(x1, [1, 5, 40]);
    using w1t = Tensor.from(w1, [6, 5, 7]);
    using y1 = conv1d(x1t, w1t, { padding: 3, padMode: "replicate" });
    const r1 = reference({ b: 1, cin: 5, cout: 6, in: [1, 1, 40], k: [1, 1, 7], pad: [0, 0, 3], mode: "replicate" }, x1, w1, new Float32Array(6));
    t.same(y1.shape, [1, 6, 40]);
    t.ok(worstError(y1.toFloat32(), r1.want, r1.mag, 2 * 35 * 2 ** -24, 1e-30).ratio <= 1, "conv1d matches");
  });
}).catch((e: unknown) => t.fail(String(e)));

t.test("conv argument errors", async (t) => {
  using x = Tensor.zeros([1, 3, 4, 5, 6]);
  using w = Tensor.zeros([2, 4, 3, 3, 3]);
  using w3 = Tensor.zeros([2, 3, 3, 3, 3]);
  t.throws(() => conv3d(x, w), { message: "aiprod.conv3d: channels differ: x is f32[1,3,4,5,6] (Cin=3), weight is f32[2,4,3,3,3] (Cin=4)" });
  t.throws(() => conv3d(x, w3, { padding: 9, padMode: "reflect" }), { message: /aiprod.conv3d: reflect padding 9 needs an input longer than the padding/ });
  t.throws(() => conv3d(x, w3, { padMode: "circular" as never }), { message: "aiprod.conv3d: option 'padMode' is 'circular'; expected 'zeros', 'reflect' or 'replicate'" });
  t.throws(() => conv3d(x, w3, { stride: [1, 0, 1] }), { message: /option 'stride' must be positive integers/ });
  t.throws(() => conv3d(x, w3, { padding: [1, 1] }), { message: "aiprod.conv3d: option 'padding' has 2 entries; expected 3" });
  using big = Tensor.zeros([2, 3, 7, 7, 7]);
  t.throws(() => conv3d(x, big), { message: "aiprod.conv3d: the kernel f32[2,3,7,7,7] is larger than the padded input f32[1,3,4,5,6]" });
  using x2 = Tensor.zeros([1, 3, 5, 6]);
  t.throws(() => conv2d(x2, w3), { message: "aiprod.conv2d: weight is f32[2,3,3,3,3]; expected [Cout, Cin, kh, kw]" });
  t.throws(() => conv2d(x2, x2, { causal: true } as never), { message: /aiprod.conv2d: (weight is|option 'causal' applies to conv3d only)/ });
});

t.test("conv3d packed weights follow writes to the weight tensor", async (t) => {
  using x = Tensor.from(randn(2 * 4 * 5 * 6, 1), [1, 2, 4, 5, 6]);
  using w = Tensor.from(randn(3 * 2 * 27, 2), [3, 2, 3, 3, 3]);
  using a = conv3d(x, w, { padding: 1 });
  const w1 = randn(3 * 2 * 27, 3);
  w.write(w1);
  using b = conv3d(x, w, { padding: 1 });
  using fresh = Tensor.from(w1, [3, 2, 3, 3, 3]);
  using c = conv3d(x, fresh, { padding: 1 });
  t.same(Array.from(b.toFloat32()), Array.from(c.toFloat32()));
  t.notSame(Array.from(b.toFloat32()), Array.from(a.toFloat32()));
});
