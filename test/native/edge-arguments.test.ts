// Arguments at the edges that once crashed the process or returned uninitialized memory (found by probing the
// public ops in child processes): empty axes, zero-size kernels, factors whose product overflows 64 bits, a
// tensor disposed by user code while an op reads its options, K = 0 products, outputs larger than the machine.
import { totalmem } from "node:os";
import t from "tap";
import {
  attention, conv1d, conv2d, conv3d, convTranspose1d, depthToSpace3d, linear, patchify, permute, pixelShuffle2d, reshape,
  spaceToDepth3d, Tensor, unpatchify,
} from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";

t.test("convolutions refuse empty spatial axes and zero-size kernels", async (t) => {
  using w3 = Tensor.from([1], [1, 1, 1, 1, 1]);
  using w2 = Tensor.from([1], [1, 1, 1, 1]);
  // Replicate and reflect padding of an empty axis used to read element 0 of a 0-byte buffer.
  using emptyT = Tensor.zeros([1, 1, 0, 4, 4]);
  for (const opts of [{ padding: [1, 0, 0], temporalPadMode: "replicate" as const }, { causal: true }, { padding: [1, 0, 0] }]) {
    t.throws(() => conv3d(emptyT, w3, opts), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: "aiprod.conv3d: x f32[1,1,0,4,4] has an empty spatial axis" });
  }
  using emptyH = Tensor.zeros([1, 1, 0, 8]);
  t.throws(() => conv2d(emptyH, w2, { padding: [1, 0], padMode: "replicate" }), { message: "aiprod.conv2d: x f32[1,1,0,8] has an empty spatial axis" });
  using x2 = Tensor.zeros([1, 2, 6, 6]);
  using kh0 = Tensor.zeros([2, 2, 0, 3]);
  t.throws(() => conv2d(x2, kh0, { padding: 1 }), { message: "aiprod.conv2d: kernel sizes must be positive: weight f32[2,2,0,3]" });
  using x3 = Tensor.zeros([1, 2, 3, 6, 6]);
  using kt0 = Tensor.zeros([2, 2, 0, 3, 3]);
  t.throws(() => conv3d(x3, kt0, { causal: true }), { message: "aiprod.conv3d: kernel sizes must be positive: weight f32[2,2,0,3,3]" });
  using x1 = Tensor.zeros([1, 2, 7]);
  using k0 = Tensor.zeros([2, 2, 0]);
  t.throws(() => conv1d(x1, k0), { message: "aiprod.conv1d: kernel sizes must be positive: weight f32[2,2,0]" });
  t.throws(() => convTranspose1d(x1, k0), { message: "aiprod.convTranspose1d: kernel size must be positive: weight f32[2,2,0]" });
});

t.test("layout factors whose product overflows 64 bits are an error, not a division by zero", async (t) => {
  const big = 2 ** 32; // big·big = 2^64 wraps to 0
  using x5 = Tensor.zeros([1, 4, 1, 1, 1]);
  using x4 = Tensor.zeros([1, 4, 1, 1]);
  using x16 = Tensor.zeros([1, 16, 1, 1, 1]);
  using empty = Tensor.zeros([1, 1, 0, 0, 0]);
  const overflow = /overflow a 64-bit integer/;
  t.throws(() => depthToSpace3d(x5, [big, big, 1]), { message: /^aiprod\.depth_to_space3d: x is f32\[1,4,1,1,1\]; the sizes/ });
  t.throws(() => depthToSpace3d(x5, [big, big, 1]), { message: overflow });
  t.throws(() => pixelShuffle2d(x4, big), { message: overflow });
  t.throws(() => unpatchify(x16, big, 1), { message: overflow });
  t.throws(() => spaceToDepth3d(empty, [big, big, 1]), { message: overflow }, "0 frames divide by any factor");
  t.throws(() => patchify(empty, big, 1), { message: overflow });
});

t.test("a tensor disposed by an options getter is an error, not a read of freed memory", async (t) => {
  const hostile = <T>(value: T, onRead: () => void): T[] => {
    const arr = [value, value];
    Object.defineProperty(arr, 0, { get: () => (onRead(), value), enumerable: true });
    return arr;
  };
  const x = Tensor.zeros([1, 2, 8, 8]);
  using w = Tensor.zeros([3, 2, 3, 3]);
  t.throws(() => conv2d(x, w, { stride: hostile(1, () => x.dispose()) }), { code: "ERR_AIPROD_DISPOSED", message: /f32\[1,2,8,8\] was disposed while an op was using it/ });
  using x2 = Tensor.zeros([1, 2, 8, 8]);
  const w2 = Tensor.zeros([3, 2, 3, 3]);
  t.throws(() => conv2d(x2, w2, { padding: hostile(1, () => w2.dispose()) }), { code: "ERR_AIPROD_DISPOSED" });
  const y = Tensor.zeros([4, 5]);
  const perm = hostile(1, () => y.dispose());
  perm[1] = 0;
  t.throws(() => permute(y, perm), { code: "ERR_AIPROD_DISPOSED", message: /was disposed while an op was using it/ });
  const z = Tensor.zeros([4, 5]);
  const shape = hostile(5, () => z.dispose());
  shape[1] = 4;
  t.throws(() => reshape(z, shape), { code: "ERR_AIPROD_DISPOSED" });
});

t.test("linear with K = 0: the product is zero and the epilogue still applies", async (t) => {
  await forEachIsa(async (isa) => {
    for (const dtype of ["f32", "bf16"] as const) {
      using x = Tensor.zeros([5, 0], dtype);
      using w = Tensor.zeros([3, 0]);
      using bias = Tensor.from([1, 2, 3], [3]);
      using residual = Tensor.from(Array.from({ length: 15 }, (_, i) => i), [5, 3]);
      using y = linear(x, w, { bias, residual });
      t.same(Array.from(y.toFloat32()), Array.from({ length: 15 }, (_, i) => i + 1 + (i % 3)), `${isa} ${dtype}: bias + residual`);
    }
  });
});

t.test("attention refuses a non-finite window", async (t) => {
  using q = Tensor.zeros([1, 1, 3, 4]);
  for (const window of [Infinity, 1e300, -1, 1.5]) {
    t.throws(() => attention(q, q, q, { window }), { message: "aiprod.attention: option 'window' must be a non-negative integer (0 = no window)" }, String(window));
  }
});

t.test("reshape with -1 that cannot be inferred names the shapes", async (t) => {
  using x = Tensor.zeros([2, 3]);
  t.throws(() => reshape(x, [-1, 0]), { message: "aiprod.reshape: cannot view f32[2,3] (6 elements) as [-1,0]: the other dimensions multiply to 0" });
  t.throws(() => reshape(x, [-1, 4]), { message: "aiprod.reshape: cannot view f32[2,3] (6 elements) as [-1,4]: 6 is not a multiple of 4" });
  using e = Tensor.zeros([0, 3]);
  t.same(reshape(e, [-1, 3]).shape, [0, 3], "an empty tensor still infers");
});

t.test("Tensor.from names the dtype it was asked for when the length is wrong", async (t) => {
  t.throws(() => Tensor.from([1, 2, 3], [4], "bf16"), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: "aiprod.Tensor.from: bf16[4] holds 4 elements, got 3" });
});

t.test("an output too large for the machine is an error naming the op", async (t) => {
  using x = Tensor.zeros([1, 1, 1, 1]);
  using w = Tensor.zeros([1, 1, 1, 1]);
  t.throws(() => conv2d(x, w, { padding: 1e9 }), { code: "ERR_AIPROD_TOO_LARGE", message: "aiprod.conv2d: the output f32[1,1,2000000001,2000000001] would need more than 1 TiB" });
  // 4 · 2^37 bytes = 512 GiB: under 1 TiB, above this machine's memory (skipped on a machine with more).
  const bytes = 4 * 2 ** 37;
  using a = Tensor.zeros([2 ** 18, 1]);
  using b = Tensor.zeros([2 ** 19, 1]);
  t.throws(() => linear(a, b), { code: "ERR_AIPROD_OUT_OF_MEMORY", message: /^aiprod\.linear: the output f32\[262144,524288\] would need 512\.0 GiB, more than this machine's [\d.]+ GiB of memory$/ },
    { skip: totalmem() >= bytes && "this machine has 512 GiB of memory or more" });
  t.throws(() => Tensor.empty([2 ** 37]), { code: "ERR_AIPROD_OUT_OF_MEMORY", message: /^aiprod\.Tensor: f32\[137438953472\] would need 512\.0 GiB/ },
    { skip: totalmem() >= bytes && "this machine has 512 GiB of memory or more" });
});
