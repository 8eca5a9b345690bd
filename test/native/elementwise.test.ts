// add, mul and casts on every kernel path against the float64 reference models: exact (0 ULP), since the
// kernels compute in f32 and round once to nearest even, which the models reproduce.
import t from "tap";
import { type DType, Tensor } from "../../src/index.js";
import { decode, encode, FORMATS, sameNumber, testValues } from "../helpers/numberFormats.js";
import { forEachIsa } from "../helpers/isaPaths.js";

// Odd lengths, SIMD-width boundaries, and one above the 32768-element chunk size so the thread pool splits it.
const LENGTHS = [1, 7, 15, 16, 17, 33, 63, 64, 65, 1000, 70001];
const NARROW = ["bf16", "f16", "f8e4m3"] as const;

/** The exact values a tensor of dtype holds for f32 inputs. */
function quantize(values: Float32Array, dtype: DType): Float64Array {
  if (dtype === "f32") return Float64Array.from(values);
  const fmt = FORMATS[dtype];
  return Float64Array.from(values, (v) => decode(fmt, encode(fmt, v)));
}

function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return -2;
  for (let i = 0; i < want.length; i++) if (!sameNumber(got[i]!, want[i]!)) return i;
  return -1;
}

forEachIsa(async (isa) => {
  await t.test(`casts on ${isa}`, async (t) => {
    for (const n of LENGTHS) {
      const values = testValues(n, n * 31 + 1);
      for (const dtype of NARROW) {
        const fmt = FORMATS[dtype];
        using x = Tensor.from(values, [n], dtype);
        const bits = x.read();
        const want = Array.from(values, (v) => encode(fmt, v));
        t.equal(firstMismatch(bits, want), -1, `f32 -> ${dtype} bits, n=${n}`);
        t.equal(firstMismatch(x.toFloat32(), quantize(values, dtype)), -1, `${dtype} -> f32, n=${n}`);
        for (const other of NARROW) {
          if (other === dtype) continue;
          using y = x.cast(other);
          const expected = Array.from(bits, (b) => encode(FORMATS[other], decode(fmt, b)));
          t.equal(firstMismatch(y.read(), expected), -1, `${dtype} -> ${other}, n=${n}`);
        }
      }
    }
  });

  await t.test(`add and mul on ${isa}`, async (t) => {
    for (const n of LENGTHS) {
      const va = testValues(n, n * 7 + 2);
      const vb = testValues(n, n * 13 + 3);
      for (const dtype of ["f32", ...NARROW] as const) {
        using a = Tensor.from(va, [n], dtype);
        using b = Tensor.from(vb, [n], dtype);
        const qa = quantize(va, dtype);
        const qb = quantize(vb, dtype);
        for (const op of ["add", "mul"] as const) {
          using c = op === "add" ? a.add(b) : a.mul(b);
          // f32 arithmetic (Math.fround of the exact double result), then one rounding to the storage type
          const exact = Float32Array.from(qa, (x, i) => (op === "add" ? x + qb[i]! : x * qb[i]!));
          t.same(c.shape, [n]);
          t.equal(c.dtype, dtype);
          t.equal(firstMismatch(c.toFloat32(), quantize(exact, dtype)), -1, `${op} ${dtype}, n=${n}`);
        }
      }
    }
  });
}).catch((e: unknown) => t.fail(String(e)));

t.test("multi-dimensional shapes and empty tensors", async (t) => {
  using a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
  using b = Tensor.from([10, 20, 30, 40, 50, 60], [2, 3]);
  using c = a.add(b);
  t.same(c.shape, [2, 3]);
  t.same(Array.from(c.toFloat32()), [11, 22, 33, 44, 55, 66]);
  using e = Tensor.zeros([0, 5], "bf16");
  using f = e.mul(e);
  t.same(f.shape, [0, 5]);
  t.equal(f.numel, 0);
  using s = Tensor.from([3], []);
  t.same(Array.from(s.mul(s).toFloat32()), [9], "rank-0 tensor");
});
