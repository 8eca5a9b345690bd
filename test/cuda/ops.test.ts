// Every TypeScript op on cuda tensors against the same op on cpu tensors, under the CUDA host emulation
// (AIPROD_CUDA_EMULATE=1: the real kernels, run on the CPU). Random seeded inputs with odd sizes; each case states
// its bound (test/helpers/cudaOps.ts, shared with test/gpu/ops.test.ts). An op whose kernel is not in this build
// of the CUDA library (cudaInfo().kernels) must answer ERR_AIPROD_UNSUPPORTED instead, never a host round trip;
// once its kernel lands the comparison runs.
process.env.AIPROD_CUDA_EMULATE = "1"; // before anything loads the CUDA library (it is loaded once per process)

import t from "tap";
import { cudaInfo, linear, permute, rmsNorm, Tensor } from "../../src/index.js";
import { checkCase, opCases } from "../helpers/cudaOps.js";

const kernels = cudaInfo().kernels;
t.equal(cudaInfo().state, "ready", "the emulated CUDA device is ready");
t.ok(cudaInfo().emulated, "the emulation");

for (const c of opCases) t.test(c.name, async (t) => checkCase(t, c, kernels));

t.test("argument errors on cuda are the CPU op's (one check, same message)", async (t) => {
  for (const dev of ["cpu", "cuda"] as const) {
    using x = Tensor.zeros([2, 3]).to(dev);
    using w = Tensor.zeros([4, 5]).to(dev);
    t.throws(() => linear(x, w), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: "aiprod.linear: inner sizes differ: x is f32[2,3] (K=3), weight is f32[4,5] (K=5)" }, dev);
    t.throws(() => permute(x, [0, 0]), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: "aiprod.permute: perm [0,0] is not a permutation of the 2 axes of f32[2,3]" }, dev);
    t.throws(() => rmsNorm(x, { weight: w }), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: /^aiprod\.rms_norm: x is f32\[2,3\] but weight is f32\[4,5\]/ }, dev);
  }
});

t.test("an argument the CUDA library refuses is its error, mapped to an AiprodError code, naming the call and shapes", async (t) => {
  // The CPU adds f8e4m3 tensors; the CUDA binary kernel takes f32, bf16 or f16 only, and says so.
  using a = Tensor.zeros([3], "f8e4m3", "cuda");
  t.throws(() => a.add(a), {
    code: "ERR_AIPROD_INVALID_ARGUMENT",
    message: /^aiprod\.add: CUDA binary: .*f8e4m3.* \[a f8e4m3\[3\], b f8e4m3\[3\]\]$/,
  });
});
