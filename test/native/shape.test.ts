// Shape ops against plain JavaScript index arithmetic: views share memory, copies match element by element
// (bit-exact: they only move data), broadcasting follows numpy, and mapped files give views of their bytes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import {
  addBroadcast, affine, concat, divBroadcast, linear, maximum, minimum, mulBroadcast, narrow, permute, reshape, subBroadcast,
  Tensor, transpose,
} from "../../src/index.js";
import { mapFileTensors } from "../../src/runtime/mappedFile.js";
import { randn, roundBf16 } from "../helpers/reference.js";

const strides = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
const unravel = (i: number, s: number[]) => s.map((d, k) => Math.floor(i / strides(s)[k]!) % d);

t.test("permute and transpose move every element where the permutation says (odd sizes, all dtypes)", async (t) => {
  const cases: [number[], number[]][] = [[[3, 5], [1, 0]], [[2, 3, 7, 5], [0, 2, 1, 3]], [[2, 3, 7, 5], [3, 1, 0, 2]], [[1, 9, 1, 4, 3], [4, 3, 2, 1, 0]]];
  for (const [shape, perm] of cases) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = randn(n, n);
    for (const dtype of ["f32", "bf16"] as const) {
      using x = Tensor.from(data, shape, dtype);
      using y = permute(x, perm);
      t.same(y.shape, perm.map((p) => shape[p]));
      const xs = x.toFloat32(), ys = y.toFloat32();
      const os = y.shape;
      let bad = 0;
      for (let i = 0; i < n; i++) {
        const oi = unravel(i, os);
        const ii = new Array<number>(shape.length);
        perm.forEach((p, k) => (ii[p] = oi[k]!));
        const src = ii.reduce((acc, v, k) => acc + v * strides(shape)[k]!, 0);
        if (!Object.is(ys[i], xs[src])) bad++;
      }
      t.equal(bad, 0, `permute ${dtype} [${shape}] by [${perm}]`);
    }
  }
  using m = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
  using mt = transpose(m, -1, 0);
  t.same(Array.from(mt.toFloat32()), [1, 4, 2, 5, 3, 6]);
  t.throws(() => permute(m, [0, 0]), { message: /aiprod.permute: perm \[0,0\] is not a permutation of the 2 axes of f32\[2,3\]/ });
});

t.test("reshape is a view: shared memory, -1 inference, clear errors", async (t) => {
  const base = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
  using v = reshape(base, [3, -1]);
  t.same(v.shape, [3, 2]);
  base.write(new Float32Array([6, 5, 4, 3, 2, 1]));
  t.same(Array.from(v.toFloat32()), [6, 5, 4, 3, 2, 1], "a write to the base shows through the view");
  base.dispose();
  t.same(Array.from(v.toFloat32()), [6, 5, 4, 3, 2, 1], "the view keeps the memory alive after the base is disposed");
  t.throws(() => reshape(v, [4, 2]), { message: "aiprod.reshape: cannot view f32[3,2] (6 elements) as [4,2] (8 elements)" });
  t.throws(() => reshape(v, [-1, -1]), { message: /only one dimension may be -1/ });
});

t.test("narrow: views for leading runs, copies for strided slices, range errors", async (t) => {
  const data = randn(2 * 5 * 3, 7);
  using x = Tensor.from(data, [2, 5, 3]);
  for (const [dim, start, len] of [[0, 1, 1], [1, 2, 3], [2, 1, 2], [-1, 0, 3], [1, 5, 0]] as const) {
    using y = narrow(x, dim, start, len);
    const d = dim < 0 ? dim + 3 : dim;
    const want: number[] = [];
    for (let i = 0; i < 30; i++) {
      const idx = unravel(i, [2, 5, 3]);
      if (idx[d]! >= start && idx[d]! < start + len) want.push(data[i]!);
    }
    t.same(Array.from(y.toFloat32()), want, `narrow(${dim}, ${start}, ${len})`);
  }
  using row = narrow(x, 0, 1, 1);
  using flat = reshape(row, [15]);
  x.write(new Float32Array(30).fill(2));
  t.equal(flat.toFloat32()[0], 2, "a narrow over dim 0 is a view");
  t.throws(() => narrow(x, 1, 4, 2), { message: "aiprod.narrow: range 4..6 exceeds dim 1 of f32[2,5,3]" });
  t.throws(() => narrow(x, 3, 0, 1), { message: /dim 3 is out of range for rank 3/ });
});

t.test("concat joins along any dim; mismatches are named", async (t) => {
  const a = randn(2 * 3 * 4, 1), b = randn(2 * 1 * 4, 2), c = randn(2 * 2 * 4, 3);
  using ta = Tensor.from(a, [2, 3, 4], "bf16");
  using tb = Tensor.from(b, [2, 1, 4], "bf16");
  using tc = Tensor.from(c, [2, 2, 4], "bf16");
  using y = concat([ta, tb, tc], 1);
  t.same(y.shape, [2, 6, 4]);
  const want: number[] = [];
  for (let i = 0; i < 2; i++) {
    want.push(...Array.from(a.subarray(i * 12, i * 12 + 12)), ...Array.from(b.subarray(i * 4, i * 4 + 4)), ...Array.from(c.subarray(i * 8, i * 8 + 8)));
  }
  t.same(Array.from(y.toFloat32()), want.map(roundBf16));
  using y0 = concat([ta, ta], 0);
  t.same(y0.shape, [4, 3, 4]);
  using f = Tensor.zeros([2, 3, 4]);
  t.throws(() => concat([ta, f], 1), { message: /aiprod.concat: xs\[1\] is f32\[2,3,4\] but xs\[0\] is bf16\[2,3,4\]/ });
  t.throws(() => concat([], 0), { message: /non-empty array/ });
});

t.test("broadcast arithmetic matches numpy rules in f32 (bf16 rounds once)", async (t) => {
  const ops = [
    [addBroadcast, (p: number, q: number) => p + q],
    [subBroadcast, (p: number, q: number) => p - q],
    [mulBroadcast, (p: number, q: number) => p * q],
    [divBroadcast, (p: number, q: number) => p / q],
    [maximum, Math.max],
    [minimum, Math.min],
  ] as const;
  const shapes: [number[], number[]][] = [[[2, 3, 5], [5]], [[2, 1, 5], [1, 4, 1]], [[3, 1], [3, 7]], [[4], [2, 3, 4]], [[2, 3], [2, 3]], [[], [3]]];
  for (const [sa, sb] of shapes) {
    const na = sa.reduce((x, y) => x * y, 1), nb = sb.reduce((x, y) => x * y, 1);
    const a = randn(na, na + 1), b = randn(nb, nb + 2);
    const rank = Math.max(sa.length, sb.length);
    const pa = [...new Array(rank - sa.length).fill(1), ...sa], pb = [...new Array(rank - sb.length).fill(1), ...sb];
    const os = pa.map((d, i) => Math.max(d, pb[i]!));
    const n = os.reduce((x, y) => x * y, 1);
    for (const [fn, ref] of ops) {
      for (const dtype of ["f32", "bf16"] as const) {
        using ta = Tensor.from(a, sa, dtype);
        using tb = Tensor.from(b, sb, dtype);
        using y = fn(ta, tb);
        t.same(y.shape, os);
        t.equal(y.dtype, dtype);
        const av = ta.toFloat32(), bv = tb.toFloat32(), got = y.toFloat32();
        let bad = 0;
        for (let i = 0; i < n; i++) {
          const oi = unravel(i, os);
          const ia = oi.reduce((acc, v, k) => acc + (pa[k] === 1 ? 0 : v) * strides(pa)[k]!, 0);
          const ib = oi.reduce((acc, v, k) => acc + (pb[k] === 1 ? 0 : v) * strides(pb)[k]!, 0);
          const w = Math.fround(ref(av[ia]!, bv[ib]!));
          if (!Object.is(got[i], dtype === "bf16" ? roundBf16(w) : w)) bad++;
        }
        t.equal(bad, 0, `${fn.name || "op"} ${dtype} [${sa}] with [${sb}]`);
      }
    }
  }
  using x = Tensor.from([1, 2, 3], [3]);
  using y = Tensor.from([1, 2], [2]);
  t.throws(() => addBroadcast(x, y), { message: "aiprod.broadcast_add: cannot broadcast a f32[3] with b f32[2] (axis 0: 3 vs 2)" });
  using mixed = addBroadcast(x, Tensor.from([1, 1, 1], [3], "bf16"));
  t.equal(mixed.dtype, "f32", "mixed dtypes give f32");
});

t.test("affine is x·alpha + beta with two roundings", async (t) => {
  const a = randn(1001, 5);
  using x = Tensor.from(a, [1001]);
  using y = affine(x, 0.3, -1.25);
  const got = y.toFloat32();
  let bad = 0;
  for (let i = 0; i < a.length; i++) if (got[i] !== Math.fround(Math.fround(a[i]! * Math.fround(0.3)) - 1.25)) bad++;
  t.equal(bad, 0);
});

t.test("mapped files: views of the file's bytes, copy-on-write, bounds checked", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-map-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "w.bin");
  const values = new Float32Array([1.5, -2, 3.25, 4, 5, 6]);
  const bytes = Buffer.alloc(4 + values.byteLength + 1 + 8);
  Buffer.from(values.buffer).copy(bytes, 4);
  Buffer.from(values.buffer).copy(bytes, 29, 0, 8);
  writeFileSync(path, bytes);
  const [aligned, unaligned, bf] = mapFileTensors(path, [
    { offset: 4, dtype: "f32", shape: [2, 3] },
    { offset: 29, dtype: "f32", shape: [2] },
    { offset: 4, dtype: "bf16", shape: [2] },
  ]);
  t.same(Array.from(aligned!.toFloat32()), Array.from(values));
  t.same(Array.from(unaligned!.toFloat32()), [1.5, -2], "an offset that is not a multiple of the element size is copied out");
  t.equal(bf!.read().length, 2);
  aligned!.write(new Float32Array(6).fill(9));
  t.same(readFileSync(path), bytes, "writing a mapped tensor never changes the file");
  using x = Tensor.from(randn(6, 4), [1, 6]);
  using weight = reshape(aligned!, [1, 6]);
  using y1 = linear(x, weight);
  aligned!.write(new Float32Array(6).fill(1));
  using y2 = linear(x, weight);
  t.not(y1.toFloat32()[0], y2.toFloat32()[0], "a write through a view invalidates the packed weights of its buffer");
  for (const v of [aligned, unaligned, bf]) v!.dispose();
  t.throws(() => mapFileTensors(path, [{ offset: 20, dtype: "f32", shape: [6] }]), {
    message: /aiprod.map_file: views\[0\] \(f32\[6\] at byte 20\) does not lie inside '.*w.bin' \(37 bytes\)/, code: "ERR_AIPROD_BAD_FILE",
  });
  t.throws(() => mapFileTensors(join(dir, "missing.bin"), []), { message: /cannot open '.*missing.bin': No such file or directory/ });
});
