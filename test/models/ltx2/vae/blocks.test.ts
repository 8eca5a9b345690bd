// Each VAE / upsampler building block against the float64 reference (reference.ts), on random f32 inputs and
// weights. Bounds: the engine accumulates convolutions in f32 over K = Cin·27 ≤ 1 728 products, so an output's
// error is at most ~K·2⁻²⁴ of the sum of |products| (conv.test.ts proves that bound per conv); here the check is
// relative to the largest reference value, 2e-5 for one conv and 1e-4 for blocks of two convs with norms (a
// PixelNorm divides by the RMS, which can amplify an absolute error by 1/RMS). Data-movement blocks (patchify,
// space-to-depth layout) must match exactly.
import t from "tap";
import { CausalConv3d } from "../../../../src/models/ltx2/vae/convolution.js";
import { PerChannelStatistics, patchify, unpatchify } from "../../../../src/models/ltx2/vae/ops.js";
import { ResnetBlock3D } from "../../../../src/models/ltx2/vae/resnet.js";
import { DepthToSpaceUpsample, SpaceToDepthDownsample } from "../../../../src/models/ltx2/vae/sampling.js";
import type { PadMode } from "../../../../src/runtime/conv.js";
import { memorySource, rand, toTensor, worst } from "./helpers.js";
import * as R from "./reference.js";

const MODES: PadMode[] = ["zeros", "reflect", "replicate"];

t.test("CausalConv3d: causal and non-causal time padding, every spatial mode, strides", async (t) => {
  let seed = 1;
  for (const mode of MODES) for (const causal of [true, false]) for (const stride of [[1, 1, 1], [2, 2, 2], [2, 1, 1]] as const) {
    const w = rand([5, 4, 3, 3, 3], seed++, 0.2), b = rand([5], seed++, 0.1), x = rand([1, 4, 5, 6, 7], seed++);
    using conv = new CausalConv3d(memorySource({ "c.conv.weight": w, "c.conv.bias": b }), "c.", 4, 5, mode, stride);
    using xt = toTensor(x);
    using y = conv.forward(xt, causal);
    const want = R.causalConv3d(x, w, b.d, causal, mode, stride);
    const e = worst(y, want);
    t.ok(e.maxAbs <= 2e-5 * e.maxRef, `${mode} causal=${causal} stride=${stride}: max err ${e.maxAbs.toExponential(2)} of ${e.maxRef.toFixed(2)}`);
  }
});

function resnetWeights(p: string, cin: number, cout: number, seed: number, shortcut: boolean, table: boolean): Record<string, R.T> {
  const w: Record<string, R.T> = {
    [`${p}conv1.conv.weight`]: rand([cout, cin, 3, 3, 3], seed, 1 / Math.sqrt(cin * 27)), [`${p}conv1.conv.bias`]: rand([cout], seed + 1, 0.1),
    [`${p}conv2.conv.weight`]: rand([cout, cout, 3, 3, 3], seed + 2, 1 / Math.sqrt(cout * 27)), [`${p}conv2.conv.bias`]: rand([cout], seed + 3, 0.1),
  };
  if (shortcut) {
    w[`${p}norm3.weight`] = R.map(rand([cin], seed + 4, 0.2), (v) => 1 + v);
    w[`${p}norm3.bias`] = rand([cin], seed + 5, 0.1);
    w[`${p}conv_shortcut.weight`] = rand([cout, cin, 1, 1, 1], seed + 6, 1 / Math.sqrt(cin));
    w[`${p}conv_shortcut.bias`] = rand([cout], seed + 7, 0.1);
  }
  if (table) w[`${p}scale_shift_table`] = rand([4, cin], seed + 8, 0.3);
  return w;
}

t.test("ResnetBlock3D: pixel norm, SiLU, two causal convs and the identity skip", async (t) => {
  for (const [causal, mode] of [[true, "zeros"], [false, "reflect"]] as const) {
    const w = resnetWeights("r.", 6, 6, 40, false, false);
    using block = new ResnetBlock3D(memorySource(w), "r.", 6, 6, mode);
    const x = rand([1, 6, 3, 5, 4], 41);
    using xt = toTensor(x);
    using y = block.forward(xt, causal);
    const h1 = R.causalConv3d(R.silu(R.pixelNorm(x)), w["r.conv1.conv.weight"]!, w["r.conv1.conv.bias"]!.d, causal, mode);
    const h2 = R.causalConv3d(R.silu(R.pixelNorm(h1)), w["r.conv2.conv.weight"]!, w["r.conv2.conv.bias"]!.d, causal, mode);
    const e = worst(y, R.add(h2, x));
    t.ok(e.maxAbs <= 1e-4 * e.maxRef, `causal=${causal} ${mode}: max err ${e.maxAbs.toExponential(2)} of ${e.maxRef.toFixed(2)}`);
  }
});

t.test("ResnetBlock3D with a width change (GroupNorm(1) + 1x1x1 shortcut) and with timestep AdaLN", async (t) => {
  {
    const w = resnetWeights("r.", 4, 8, 60, true, false);
    using block = new ResnetBlock3D(memorySource(w), "r.", 4, 8, "zeros");
    const x = rand([1, 4, 3, 4, 4], 61);
    using xt = toTensor(x);
    using y = block.forward(xt, true);
    const h1 = R.causalConv3d(R.silu(R.pixelNorm(x)), w["r.conv1.conv.weight"]!, w["r.conv1.conv.bias"]!.d, true, "zeros");
    const h2 = R.causalConv3d(R.silu(R.pixelNorm(h1)), w["r.conv2.conv.weight"]!, w["r.conv2.conv.bias"]!.d, true, "zeros");
    const sc = R.conv3d(R.groupNorm(x, 1, w["r.norm3.weight"]!.d, w["r.norm3.bias"]!.d, 1e-6), w["r.conv_shortcut.weight"]!, w["r.conv_shortcut.bias"]!.d, [1, 1, 1], 0, "zeros");
    const e = worst(y, R.add(sc, h2));
    t.ok(e.maxAbs <= 1e-4 * e.maxRef, `shortcut: max err ${e.maxAbs.toExponential(2)} of ${e.maxRef.toFixed(2)}`);
  }
  {
    const C = 4;
    const w = resnetWeights("r.", C, C, 70, false, true);
    using block = new ResnetBlock3D(memorySource(w), "r.", C, C, "reflect", true);
    const x = rand([1, C, 3, 4, 4], 71);
    const emb = rand([1, 4 * C], 72, 0.5);
    using xt = toTensor(x);
    using y = block.forward(xt, false, Float32Array.from(emb.d));
    const table = w["r.scale_shift_table"]!;
    const row = (k: number) => Float64Array.from({ length: C }, (_, c) => table.d[k * C + c]! + emb.d[k * C + c]!);
    const h1 = R.causalConv3d(R.silu(R.modulate(R.pixelNorm(x), row(1), row(0))), w["r.conv1.conv.weight"]!, w["r.conv1.conv.bias"]!.d, false, "reflect");
    const h2 = R.causalConv3d(R.silu(R.modulate(R.pixelNorm(h1), row(3), row(2))), w["r.conv2.conv.weight"]!, w["r.conv2.conv.bias"]!.d, false, "reflect");
    const e = worst(y, R.add(h2, x));
    t.ok(e.maxAbs <= 1e-4 * e.maxRef, `AdaLN (shift1, scale1, shift2, scale2): max err ${e.maxAbs.toExponential(2)} of ${e.maxRef.toFixed(2)}`);
  }
});

t.test("SpaceToDepthDownsample: frame 0 duplicated for a time stride, conv + grouped averaged skip", async (t) => {
  let seed = 100;
  for (const [stride, cin, cout] of [[[1, 2, 2], 4, 8], [[2, 1, 1], 4, 8], [[2, 2, 2], 4, 8], [[2, 2, 2], 8, 8]] as const) {
    const prod = stride[0] * stride[1] * stride[2];
    const w = rand([cout / prod, cin, 3, 3, 3], seed++, 0.2), b = rand([cout / prod], seed++, 0.1);
    using block = new SpaceToDepthDownsample(memorySource({ "d.conv.conv.weight": w, "d.conv.conv.bias": b }), "d.", cin, cout, stride, "zeros");
    const x = rand([1, cin, 5, 4, 6], seed++);
    using xt = toTensor(x);
    using y = block.forward(xt);
    const e = worst(y, R.spaceToDepthDownsample(x, w, b.d, stride, cout, "zeros"));
    t.ok(e.maxAbs <= 2e-5 * e.maxRef, `stride ${stride} ${cin}->${cout} (group ${(cin * prod) / cout}): max err ${e.maxAbs.toExponential(2)} of ${e.maxRef.toFixed(2)}`);
    t.equal(y.shape[2], stride[0] === 2 ? 3 : 5, "5 frames -> 3 with a time stride (4k+1 -> 2k+1)");
  }
});

t.test("DepthToSpaceUpsample: conv, depth-to-space, first frame dropped, residual repeated input", async (t) => {
  let seed = 200;
  for (const [stride, residual, reduction, causal] of [[[2, 2, 2], true, 2, false], [[2, 2, 2], true, 1, true], [[1, 2, 2], false, 2, false], [[2, 1, 1], false, 1, false], [[2, 2, 2], false, 2, false]] as const) {
    const cin = 8, prod = stride[0] * stride[1] * stride[2];
    const w = rand([(prod * cin) / reduction, cin, 3, 3, 3], seed++, 0.15), b = rand([(prod * cin) / reduction], seed++, 0.1);
    using block = new DepthToSpaceUpsample(memorySource({ "u.conv.conv.weight": w, "u.conv.conv.bias": b }), "u.", cin, stride, residual, reduction, "reflect");
    const x = rand([1, cin, 3, 3, 4], seed++);
    using xt = toTensor(x);
    using y = block.forward(xt, causal);
    const e = worst(y, R.depthToSpaceUpsample(x, w, b.d, stride, residual, reduction, causal, "reflect"));
    t.ok(e.maxAbs <= 2e-5 * e.maxRef, `stride ${stride} residual=${residual} r=${reduction}: max err ${e.maxAbs.toExponential(2)}`);
    t.equal(y.shape[2], stride[0] === 2 ? 5 : 3, "F' -> 2F'-1 with a time stride");
  }
});

t.test("patchify puts the width sub-index before the height sub-index; unpatchify inverts it exactly", async (t) => {
  const x = rand([1, 3, 2, 8, 12], 300);
  using xt = toTensor(x);
  using p = patchify(xt, 4);
  t.same(Array.from(p.toFloat32()), Array.from(Float32Array.from(R.patchify(x, 4).d)), "patchify matches (c p r q)");
  using back = unpatchify(p, 4);
  t.same(Array.from(back.toFloat32()), Array.from(Float32Array.from(x.d)), "round trip");
  // Direct check of one channel: pixel (h=1, w=2) of a 4x4 block goes to channel c·16 + w·4 + h = 9 for c = 0.
  t.equal(p.toFloat32()[9 * 2 * 2 * 3]!, Math.fround(x.d[1 * 12 + 2]!), "channel 9 holds (h_sub 1, w_sub 2)");
});

t.test("PerChannelStatistics: (x − mean)/std and x·std + mean per channel", async (t) => {
  const mean = rand([5], 400, 0.5), std = R.map(rand([5], 401, 0.3), (v) => 1 + Math.abs(v));
  using stats = new PerChannelStatistics(memorySource({ "mean-of-means": mean, "std-of-means": std }), "", 5);
  const x = rand([2, 5, 2, 3, 3], 402);
  using xt = toTensor(x);
  using n = stats.normalize(xt);
  const e1 = worst(n, R.normalize(x, mean.d, std.d));
  t.ok(e1.maxAbs <= 4e-7 * Math.max(1, e1.maxRef), `normalize: ${e1.maxAbs.toExponential(2)} (two f32 roundings)`);
  using u = stats.unNormalize(n);
  const e2 = worst(u, x);
  t.ok(e2.maxAbs <= 1e-6 * Math.max(1, e2.maxRef), `un_normalize inverts normalize: ${e2.maxAbs.toExponential(2)}`);
});
