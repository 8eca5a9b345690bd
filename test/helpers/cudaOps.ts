// The CUDA op comparison cases shared by test/cuda/ops.test.ts (under the emulation) and test/gpu/ops.test.ts (on
// a real GPU): every TypeScript op on cuda tensors against the same op on cpu tensors, random seeded inputs with
// odd sizes, each case with its stated bound.
import type { Test } from "tap";
import {
  adaLN, normAdaLN, addBroadcast, addMul, affine, attention, concat, conv1d, conv2d, conv3d, convTranspose1d, cudaMemoryStats,
  depthToSpace3d, type Device, divBroadcast, type DType, geluErf, geluTanh, groupNorm, layerNorm, leakyRelu, lerp, linear,
  matmul, maximum, mean, minimum, mulBroadcast, narrow, patchify, permute, pixelNorm, pixelShuffle2d, reshape, rmsNorm,
  ropeInterleaved, ropeSplit, sigmoid, silu, softmax, spaceToDepth3d, std, subBroadcast, tanh, Tensor, transpose, unpatchify,
} from "../../src/index.js";
import { randn } from "./reference.js";

/** Tensors a case made (inputs on both devices); disposed after the case. */
const made: Tensor[] = [];
function keep<T extends Tensor>(x: T): T {
  made.push(x);
  return x;
}

let seed = 1;
/** A fresh random tensor on `dev` (normal(0, scale) values, rounded to dtype). Same seed on both devices per case. */
function rand(dev: Device, shape: number[], dtype: DType = "f32", scale = 1, s?: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = randn(n, s ?? seed++).map((v) => v * scale);
  const host = Tensor.from(values, shape, dtype);
  if (dev === "cpu") return keep(host);
  const d = keep(host.to("cuda"));
  host.dispose();
  return d;
}

export interface Case {
  name: string;
  /** The CUDA library kernel the op needs (api->kernels), or null for one the library has no kernel for. */
  kernel: string | null;
  run: (dev: Device) => Tensor;
  /** Bit-identical results (pure data movement, or correctly rounded single operations). */
  exact?: boolean;
  /** |cuda - cpu| <= atol + rtol·|cpu| elementwise; NaN must match NaN. */
  atol?: number;
  rtol?: number;
}

/**
 * Runs case c on cpu tensors and on cuda tensors and compares (or, without its kernel in `kernels`, expects
 * ERR_AIPROD_UNSUPPORTED); every device tensor the case made must be given back.
 */
export function checkCase(t: Test, c: Case, kernels: readonly string[]): void {
  const start = seed;
  const inUse = cudaMemoryStats().inUse;
  try {
    seed = start;
    const cpu = keep(c.run("cpu"));
    seed = start; // the same inputs on the device
    if (c.kernel === null || !kernels.includes(c.kernel)) {
      t.throws(() => c.run("cuda"), { code: "ERR_AIPROD_UNSUPPORTED" }, `${c.name}: no ${c.kernel ?? "CUDA"} kernel: ERR_AIPROD_UNSUPPORTED`);
      return;
    }
    const gpu = keep(c.run("cuda"));
    t.equal(gpu.device, "cuda", `${c.name}: result on cuda`);
    t.equal(gpu.dtype, cpu.dtype, `${c.name}: dtype`);
    t.same(gpu.shape, cpu.shape, `${c.name}: shape`);
    const back = keep(gpu.to("cpu"));
    if (c.exact) {
      const a = back.read(), b = cpu.read();
      t.same(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength), `${c.name}: bit-identical`);
      return;
    }
    const g = back.toFloat32(), r = cpu.toFloat32();
    const atol = c.atol ?? 0, rtol = c.rtol ?? 0;
    let worst = 0, at = -1, over = 0;
    for (let i = 0; i < r.length; i++) {
      const ri = r[i]!, gi = g[i]!;
      if (Number.isNaN(ri) || Number.isNaN(gi)) {
        if (Number.isNaN(ri) !== Number.isNaN(gi)) over++;
        continue;
      }
      const err = Math.abs(gi - ri);
      const excess = err / (atol + rtol * Math.abs(ri) || Number.MIN_VALUE);
      if (excess > worst) [worst, at] = [excess, i];
      if (err > atol + rtol * Math.abs(ri)) over++;
    }
    t.equal(over, 0, `${c.name}: within atol ${atol}, rtol ${rtol} (worst at ${at}: cuda ${g[at]}, cpu ${r[at]}; ${worst.toFixed(3)} of the bound)`);
  } finally {
    for (const x of made.splice(0)) x.dispose();
    t.equal(cudaMemoryStats().inUse, inUse, `${c.name}: every device tensor was given back`);
  }
}

// Bounds. f32 data movement and correctly rounded single operations (+ - × ÷ max min, casts) are bit-exact.
// Transcendentals (tanh, erf, exp) may differ in the last bits between the CPU's and the GPU's implementations:
// 1e-6 absolute + 4e-6 relative. Reductions (norms, softmax, dot products) accumulate in f32 in another order:
// |err| <= n·2^-24·Σ|terms| (+ the output rounding), written out per case. bf16 outputs may differ by one bf16
// ulp (2^-8 relative) where the f32 values straddle a rounding boundary.
const TRANSC = { atol: 1e-6, rtol: 4e-6 };
const BF16_ULP = { atol: 1e-6, rtol: 2 ** -8 };

/** Every op wrapper of src/runtime on odd shapes, with its bound. */
export const opCases: Case[] = [
  // ---- casts and elementwise (copy, binary) ----
  ...(["bf16", "f16", "f8e4m3"] as const).map((to): Case => ({ name: `cast f32->${to}`, kernel: "copy", exact: true, run: (d) => rand(d, [7, 13], "f32", 30).cast(to) })),
  ...(["bf16", "f16", "f8e4m3"] as const).map((from): Case => ({ name: `cast ${from}->f32`, kernel: "copy", exact: true, run: (d) => rand(d, [5, 11], from, 3).cast("f32") })),
  { name: "cast bf16->f16", kernel: "copy", exact: true, run: (d) => rand(d, [33], "bf16", 100).cast("f16") },
  { name: "add f32", kernel: "binary", exact: true, run: (d) => rand(d, [7, 13]).add(rand(d, [7, 13])) },
  { name: "mul bf16", kernel: "binary", exact: true, run: (d) => rand(d, [3, 17], "bf16").mul(rand(d, [3, 17], "bf16")) },
  { name: "addBroadcast [3,1,5]+[4,1]", kernel: "binary", exact: true, run: (d) => addBroadcast(rand(d, [3, 1, 5]), rand(d, [4, 1])) },
  { name: "subBroadcast bf16-f32", kernel: "binary", exact: true, run: (d) => subBroadcast(rand(d, [2, 9], "bf16"), rand(d, [9])) },
  { name: "mulBroadcast [1,7]*[5,1]", kernel: "binary", exact: true, run: (d) => mulBroadcast(rand(d, [1, 7]), rand(d, [5, 1])) },
  { name: "divBroadcast", kernel: "binary", exact: true, run: (d) => divBroadcast(rand(d, [6, 5]), rand(d, [5])) },
  { name: "maximum", kernel: "binary", exact: true, run: (d) => maximum(rand(d, [4, 7]), rand(d, [4, 7])) },
  { name: "minimum bf16", kernel: "binary", exact: true, run: (d) => minimum(rand(d, [4, 7], "bf16"), rand(d, [1, 7], "bf16")) },
  // x·alpha + beta: two correctly rounded operations on both devices (a fused multiply-add would differ by an ulp).
  { name: "affine", kernel: "unary", atol: 1e-7, rtol: 2 ** -23, run: (d) => affine(rand(d, [5, 19]), 0.37, -1.25) },
  // a + t·(b − a): three roundings, the same on both devices unless one contracts to an FMA: 2 ulps.
  { name: "lerp", kernel: "unary", atol: 1e-7, rtol: 2 ** -22, run: (d) => lerp(rand(d, [3, 23]), rand(d, [3, 23]), 0.3) },
  // ---- activations (unary) ----
  { name: "geluTanh f32", kernel: "unary", ...TRANSC, run: (d) => geluTanh(rand(d, [7, 29], "f32", 3)) },
  { name: "geluTanh bf16", kernel: "unary", ...BF16_ULP, run: (d) => geluTanh(rand(d, [7, 29], "bf16", 3)) },
  { name: "geluErf", kernel: "unary", ...TRANSC, run: (d) => geluErf(rand(d, [3, 31], "f32", 3)) },
  { name: "silu", kernel: "unary", ...TRANSC, run: (d) => silu(rand(d, [5, 17], "f32", 4)) },
  { name: "silu bf16", kernel: "unary", ...BF16_ULP, run: (d) => silu(rand(d, [5, 17], "bf16", 4)) },
  { name: "leakyRelu", kernel: "unary", exact: true, run: (d) => leakyRelu(rand(d, [9, 11]), 0.2) },
  { name: "sigmoid", kernel: "unary", ...TRANSC, run: (d) => sigmoid(rand(d, [3, 5], "f32", 4)) },
  { name: "sigmoid bf16", kernel: "unary", ...BF16_ULP, run: (d) => sigmoid(rand(d, [3, 5], "bf16", 4)) },
  { name: "tanh", kernel: "unary", ...TRANSC, run: (d) => tanh(rand(d, [7, 9], "f32", 3)) },
  // ---- row reductions and norms (norm) ----
  // softmax over d=37: exp differences (TRANSC) plus the sum's order (37·2^-24 relative).
  { name: "softmax", kernel: "norm", atol: 1e-7, rtol: 1e-5, run: (d) => softmax(rand(d, [6, 37], "f32", 3)) },
  { name: "softmax bf16", kernel: "norm", ...BF16_ULP, run: (d) => softmax(rand(d, [6, 37], "bf16", 3)) },
  // mean of 41 N(0,1): |err| <= 41·2^-24·Σ|x|/41 ≈ 1e-6 absolute.
  { name: "mean", kernel: "norm", atol: 2e-6, rtol: 1e-6, run: (d) => mean(rand(d, [5, 41])) },
  { name: "std (population)", kernel: "norm", atol: 2e-6, rtol: 1e-5, run: (d) => std(rand(d, [5, 41])) },
  { name: "std (unbiased)", kernel: "norm", atol: 2e-6, rtol: 1e-5, run: (d) => std(rand(d, [3, 13]), { unbiased: true }) },
  // normalized outputs are O(1): the statistic's relative error (~d·2^-24) times |y|, plus the output rounding.
  { name: "rmsNorm + weight", kernel: "norm", atol: 1e-6, rtol: 1e-5, run: (d) => rmsNorm(rand(d, [2, 7, 53]), { weight: rand(d, [53]) }) },
  { name: "rmsNorm bf16", kernel: "norm", ...BF16_ULP, run: (d) => rmsNorm(rand(d, [3, 65], "bf16")) },
  { name: "layerNorm", kernel: "norm", atol: 1e-6, rtol: 1e-5, run: (d) => layerNorm(rand(d, [4, 3, 47], "f32", 2)) },
  { name: "pixelNorm dim 1", kernel: "norm", atol: 1e-6, rtol: 1e-5, run: (d) => pixelNorm(rand(d, [2, 7, 3, 5])) },
  { name: "groupNorm + affine", kernel: "norm", atol: 1e-6, rtol: 1e-5, run: (d) => groupNorm(rand(d, [2, 6, 3, 7]), 3, { weight: rand(d, [6]), bias: rand(d, [6]) }) },
  // ---- modulation (modulate): one product and one sum per element ----
  { name: "adaLN per-token tables", kernel: "modulate", atol: 1e-6, rtol: 1e-6, run: (d) => adaLN(rand(d, [2, 5, 19]), rand(d, [2, 5, 19], "f32", 0.1), rand(d, [2, 5, 19])) },
  { name: "adaLN broadcast [1,T,D] and [D]", kernel: "modulate", atol: 1e-6, rtol: 1e-6, run: (d) => adaLN(rand(d, [3, 4, 9]), rand(d, [1, 4, 9], "f32", 0.1), rand(d, [9])) },
  // The fused norm + modulation (cuda) against the two CPU ops: no intermediate rounding on cuda, so f32 within a
  // few norm roundings. bf16: the CPU rounds the normalized row n to bf16 before modulating, an absolute error of
  // 2^-8·|n|·|1 + scale| that the shift can leave in a small output: |n| <= 8 for an RMS-normalized row of 64
  // (max |n| <= sqrt(d)), |1 + scale| <= 1.1, so atol 2^-8·8·1.1 ~ 0.035, plus the outputs' own bf16 rounding.
  { name: "normAdaLN layer, per-token tables", kernel: "norm", atol: 1e-6, rtol: 1e-5, run: (d) => normAdaLN(rand(d, [2, 5, 67]), rand(d, [2, 5, 67], "f32", 0.1), rand(d, [2, 5, 67])) },
  { name: "normAdaLN rms + weight, [B,1,D] tables", kernel: "norm", atol: 1e-6, rtol: 1e-5, run: (d) => normAdaLN(rand(d, [3, 4, 33]), rand(d, [3, 1, 33], "f32", 0.1), rand(d, [3, 1, 33]), { rms: true, weight: rand(d, [33]) }) },
  { name: "normAdaLN rms bf16", kernel: "norm", atol: 0.035, rtol: 2 ** -7, run: (d) => normAdaLN(rand(d, [2, 3, 64], "bf16"), rand(d, [2, 3, 64], "bf16", 0.1), rand(d, [64], "bf16"), { rms: true }) },
  { name: "adaLN bf16 x, [B,1,D] f32 tables", kernel: "modulate", ...BF16_ULP, run: (d) => adaLN(rand(d, [2, 3, 16], "bf16"), rand(d, [2, 1, 16]), rand(d, [2, 1, 16])) },
  { name: "addMul [T,D] gate", kernel: "modulate", atol: 1e-6, rtol: 1e-6, run: (d) => addMul(rand(d, [2, 5, 11]), rand(d, [2, 5, 11]), rand(d, [5, 11])) },
  // ---- RoPE (rope): two products and a sum per element ----
  { name: "ropeSplit [T,H,d/2]", kernel: "rope", atol: 1e-6, rtol: 1e-6, run: (d) => ropeSplit(rand(d, [2, 3, 5, 8]), rand(d, [5, 3, 4]), rand(d, [5, 3, 4])) },
  { name: "ropeSplit [B,T,H,d/2] bf16", kernel: "rope", ...BF16_ULP, run: (d) => ropeSplit(rand(d, [2, 2, 3, 6], "bf16"), rand(d, [2, 3, 2, 3]), rand(d, [2, 3, 2, 3])) },
  { name: "ropeSplit [T,d/2]", kernel: "rope", atol: 1e-6, rtol: 1e-6, run: (d) => ropeSplit(rand(d, [1, 4, 7, 10]), rand(d, [7, 5]), rand(d, [7, 5])) },
  { name: "ropeInterleaved", kernel: "rope", atol: 1e-6, rtol: 1e-6, run: (d) => ropeInterleaved(rand(d, [2, 3, 7, 6]), rand(d, [7, 3]), rand(d, [7, 3])) },
  // ---- layout (layout kernel, or strided copies) ----
  { name: "spaceToDepth3d", kernel: "layout", exact: true, run: (d) => spaceToDepth3d(rand(d, [2, 3, 4, 6, 10]), [2, 3, 2]) },
  { name: "depthToSpace3d bf16", kernel: "layout", exact: true, run: (d) => depthToSpace3d(rand(d, [1, 12, 3, 2, 5], "bf16"), [1, 2, 2]) },
  { name: "pixelShuffle2d", kernel: "copy", exact: true, run: (d) => pixelShuffle2d(rand(d, [2, 3, 18, 5, 7]), 3) },
  { name: "patchify 5-d", kernel: "copy", exact: true, run: (d) => patchify(rand(d, [2, 3, 4, 8, 12]), 4, 2) },
  { name: "patchify 4-d f16", kernel: "copy", exact: true, run: (d) => patchify(rand(d, [1, 3, 6, 9], "f16"), 3, 1) },
  { name: "unpatchify 5-d", kernel: "copy", exact: true, run: (d) => unpatchify(rand(d, [2, 24, 3, 2, 2]), 2, 2) },
  { name: "unpatchify 4-d", kernel: "copy", exact: true, run: (d) => unpatchify(rand(d, [1, 18, 2, 5]), 3, 1) },
  { name: "permute", kernel: "copy", exact: true, run: (d) => permute(rand(d, [2, 3, 5, 7]), [3, 1, 0, 2]) },
  { name: "transpose f8e4m3", kernel: "copy", exact: true, run: (d) => transpose(rand(d, [5, 9], "f8e4m3"), 0, 1) },
  { name: "narrow (strided copy)", kernel: "copy", exact: true, run: (d) => narrow(rand(d, [3, 11, 4]), 1, 3, 5) },
  { name: "narrow (view)", kernel: "copy", exact: true, run: (d) => narrow(rand(d, [1, 11, 4]), 1, 2, 7) },
  { name: "reshape (view)", kernel: "copy", exact: true, run: (d) => reshape(rand(d, [6, 10]), [3, -1, 4]) },
  { name: "concat dim 1", kernel: "copy", exact: true, run: (d) => concat([rand(d, [2, 3, 5]), rand(d, [2, 1, 5]), rand(d, [2, 4, 5])], 1) },
  // ---- products (linear, matmul, attention, conv) ----
  // f32 dot products of K terms accumulated in another order: |err| <= K·2^-24·Σ|x·w| ≈ K²·2^-24 for N(0,1)
  // inputs; K = 37: 8e-5 (the epilogue adds a few roundings of O(1) values).
  { name: "linear f32 + bias", kernel: "linear", atol: 1e-4, rtol: 1e-5, run: (d) => linear(rand(d, [3, 5, 37]), rand(d, [11, 37]), { bias: rand(d, [11]) }) },
  // bf16 weights: x rounded to bf16 on both devices, exact bf16 products, f32 accumulation: the same K·2^-24 bound.
  { name: "linear bf16 weight + gelu + gate + residual", kernel: "linear", atol: 1e-4, rtol: 1e-5,
    run: (d) => linear(rand(d, [17, 40]), rand(d, [9, 40], "bf16"), { bias: rand(d, [9]), activation: "gelu_tanh", gate: rand(d, [17, 9]), residual: rand(d, [17, 9]) }) },
  { name: "linear bf16 x, f8e4m3 weight with scale", kernel: "linear", atol: 1e-4, rtol: 1e-5, run: (d) => linear(rand(d, [4, 33], "bf16"), rand(d, [6, 33], "f8e4m3", 8), { weightScale: 0.125 }) },
  { name: "matmul batched", kernel: "matmul", atol: 1e-4, rtol: 1e-5, run: (d) => matmul(rand(d, [2, 5, 37]), rand(d, [2, 37, 11])) },
  { name: "matmul shared b, transposed", kernel: "matmul", atol: 1e-4, rtol: 1e-5, run: (d) => matmul(rand(d, [3, 7, 19]), rand(d, [13, 19]), { transposeB: true }) },
  // attention: a softmax-weighted mean of N(0,1) values; f32 scores of D=64 terms: 1e-5 absolute.
  { name: "attention f32 GQA causal", kernel: "attention", atol: 1e-5, rtol: 1e-5, run: (d) => attention(rand(d, [1, 4, 17, 64]), rand(d, [1, 2, 23, 64]), rand(d, [1, 2, 23, 64]), { causal: true }) },
  { name: "attention f32 bias", kernel: "attention", atol: 1e-5, rtol: 1e-5, run: (d) => attention(rand(d, [2, 2, 9, 64]), rand(d, [2, 2, 13, 64]), rand(d, [2, 2, 13, 64]), { bias: rand(d, [9, 13]) }) },
  // bf16: products in bf16 and P rounded to bf16 on both sides (where the CPU has AVX512_BF16), the GPU result
  // rounded to bf16 before widening: 2^-8 relative of O(1) outputs plus P's rounding: 2e-2 absolute.
  { name: "attention bf16 D=128", kernel: "attention", atol: 2e-2, rtol: 2 ** -7, run: (d) => attention(rand(d, [1, 2, 11, 128], "bf16"), rand(d, [1, 2, 19, 128], "bf16"), rand(d, [1, 2, 19, 128], "bf16")) },
  // conv: K = Cin·kt·kh·kw terms per output: K·2^-24·Σ|x·w|, K = 3·27 = 81: 4e-4.
  { name: "conv3d causal, stride 2 spatial", kernel: "conv3d", atol: 4e-4, rtol: 1e-5,
    run: (d) => conv3d(rand(d, [1, 3, 5, 7, 9]), rand(d, [4, 3, 3, 3, 3]), { bias: rand(d, [4]), causal: true, padding: [0, 1, 1], stride: [1, 2, 2] }) },
  { name: "conv3d replicate time, zeros space", kernel: "conv3d", atol: 4e-4, rtol: 1e-5,
    run: (d) => conv3d(rand(d, [2, 3, 4, 5, 6]), rand(d, [5, 3, 3, 3, 3]), { padding: 1, temporalPadMode: "replicate" }) },
  { name: "conv2d reflect", kernel: "conv3d", atol: 4e-4, rtol: 1e-5, run: (d) => conv2d(rand(d, [2, 3, 9, 11]), rand(d, [4, 3, 3, 3]), { padding: 1, padMode: "reflect" }) },
  { name: "conv1d stride 3", kernel: "conv3d", atol: 2e-4, rtol: 1e-5, run: (d) => conv1d(rand(d, [2, 5, 31]), rand(d, [3, 5, 7]), { stride: 3, padding: 2, bias: rand(d, [3]) }) },
  // K = Cin·ceil(k/stride) terms per output.
  { name: "convTranspose1d", kernel: "conv_transpose1d", atol: 2e-4, rtol: 1e-5,
    run: (d) => convTranspose1d(rand(d, [2, 4, 13]), rand(d, [4, 3, 7]), { stride: 3, padding: 2, outputPadding: 1, bias: rand(d, [3]) }) },
];

