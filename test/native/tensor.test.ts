// Tensor lifetime, argument checking and error messages: every bad input is a clear Error naming the op, the
// argument and the shapes, never a crash.
import t from "tap";
import { add, AiprodError, cast, mul, Tensor } from "../../src/index.js";

t.test("creation, metadata and round trips", async (t) => {
  using a = Tensor.zeros([2, 3, 4], "f16");
  t.same(a.shape, [2, 3, 4]);
  t.equal(a.dtype, "f16");
  t.equal(a.device, "cpu");
  t.equal(a.numel, 24);
  t.equal(a.nbytes, 48);
  t.ok(a.read() instanceof Uint16Array);
  t.same(Array.from(a.toFloat32()), new Array(24).fill(0));
  const bits = new Uint16Array([0x3f80, 0xc000]);
  using b = Tensor.from(bits, [2], "bf16");
  t.same(Array.from(b.toFloat32()), [1, -2], "bf16 bits taken as-is");
  using f8 = Tensor.from(new Uint8Array([0x38, 0x7e]), [2]);
  t.equal(f8.dtype, "f8e4m3");
  t.same(Array.from(f8.toFloat32()), [1, 448]);
  using c = Tensor.from([1.5, -2.25], [2], "f32");
  t.same(Array.from(c.read()), [1.5, -2.25]);
  t.match(String(c), "Tensor(f32[2])");
});

t.test("dispose frees at once; use after dispose is a clear error", async (t) => {
  const a = Tensor.from([1, 2, 3], [3]);
  using b = Tensor.from([1, 2, 3], [3]);
  a.dispose();
  t.ok(a.disposed);
  t.doesNotThrow(() => a.dispose(), "double dispose is harmless");
  t.throws(() => a.read(), { message: "aiprod.Tensor.read: tensor f32[3] is disposed", code: "ERR_AIPROD_DISPOSED" });
  t.throws(() => add(a, b), { message: "aiprod.add: argument 'a' is a disposed tensor (f32[3])", code: "ERR_AIPROD_DISPOSED" });
  t.throws(() => mul(b, a), { message: "aiprod.mul: argument 'b' is a disposed tensor (f32[3])" });
  t.throws(() => a.cast("bf16"), { message: /aiprod.cast: argument 'a' is a disposed tensor/ });
  {
    using scoped = Tensor.zeros([4]);
    t.notOk(scoped.disposed);
    b.write(new Float32Array([4, 5, 6]));
    t.same(Array.from(b.read()), [4, 5, 6]);
  }
});

t.test("bad arguments name the op, the arguments and their shapes", async (t) => {
  using a = Tensor.zeros([2, 3]);
  using b = Tensor.zeros([3, 2]);
  using h = Tensor.zeros([2, 3], "bf16");
  t.throws(() => add(a, b), {
    message: "aiprod.add: shape mismatch: a is f32[2,3], b is f32[3,2] (shapes must be equal)",
    code: "ERR_AIPROD_INVALID_ARGUMENT",
  });
  t.throws(() => mul(a, h), { message: "aiprod.mul: dtype mismatch: a is f32[2,3], b is bf16[2,3] (cast one of them first)" });
  t.throws(() => add(a, {} as Tensor), { message: "aiprod.add: argument 'b' must be a Tensor, got object" });
  t.throws(() => add(null as unknown as Tensor, a), { message: "aiprod.add: argument 'a' must be a Tensor, got null" });
  t.throws(() => cast(a, "f64" as never), { message: "aiprod.cast: unknown dtype 'f64'; expected one of f32, bf16, f16, f8e4m3" });
  t.throws(() => Tensor.zeros([2, -1]), { message: "aiprod.Tensor: shape[1] is -1; dimensions must be non-negative integers" });
  t.throws(() => Tensor.zeros([2.5]), { message: /shape\[0\] is 2.5/ });
  t.throws(() => Tensor.zeros([1, 2, 3, 4, 5, 6, 7, 8, 9]), { message: /rank 9; at most 8 dimensions/ });
  t.throws(() => Tensor.zeros([2 ** 30, 2 ** 30]), { message: "aiprod.Tensor: f32[1073741824,1073741824] would need more than 1 TiB", code: "ERR_AIPROD_TOO_LARGE" });
  t.throws(() => Tensor.zeros([2], "int8" as never), { message: /unknown dtype 'int8'/ });
  t.throws(() => Tensor.from(new Float32Array(5), [2, 3]), { message: "aiprod.Tensor.write: f32[2,3] holds 6 elements, got 5" });
  t.throws(() => Tensor.from(new Uint16Array(6), [2, 3], "f32"), { message: /a Uint16Array cannot hold f32 data; pass numbers or a Float32Array/ });
  t.throws(() => a.write(new Uint16Array(6)), { message: "aiprod.Tensor.write: expected a Float32Array for f32[2,3], got a Uint16Array" });
  t.ok(new AiprodError("X", "y") instanceof Error);
});

t.test("writes read from the view, not the whole buffer", async (t) => {
  const backing = new Float32Array([9, 9, 1, 2, 3, 9]);
  using a = Tensor.from(backing.subarray(2, 5), [3]);
  t.same(Array.from(a.read()), [1, 2, 3]);
});

t.test("a zeroed tensor is zero even when its memory is a reused (pooled) mapping", async (t) => {
  for (const n of [1 << 18, 3 << 20]) { // 1 MiB (page-rounded) and 12 MiB (huge-page-rounded) buffers
    const dirty = Tensor.from(new Float32Array(n).fill(7), [n]);
    dirty.dispose(); // its mapping goes to the pool, dirty
    using again = Tensor.zeros([n]);
    const v = again.read() as Float32Array;
    t.ok(v.every((x) => x === 0), `${n} floats: all zero`);
  }
});

t.test("many tensors created and disposed keep memory bounded", async (t) => {
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 200; i++) {
    using big = Tensor.zeros([1024, 1024]); // 4 MiB each, 800 MiB in total
    t.equal(big.nbytes, 4 << 20, "size");
  }
  const grown = process.memoryUsage().rss - before;
  t.ok(grown < 64 * 2 ** 20, `rss grew by ${(grown / 2 ** 20).toFixed(0)} MiB (< 64 MiB)`);
});
