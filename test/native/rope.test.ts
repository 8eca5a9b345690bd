// ropeSplit (LTX-2 SPLIT, per-head bands; Gemma rotate_half with head-shared tables) and ropeInterleaved on
// every kernel path, against float64 models written from the upstream formulas. Bound: 4e-7 of
// |x_a·cos| + |x_b·sin| per element (two products and a sum in f32), plus 2^-8 relative for bf16 outputs.
import t from "tap";
import { ropeInterleaved, ropeSplit, Tensor } from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";
import { close, FLOAT_DTYPES, input, throwsWith } from "../helpers/pointwise.js";

const HEAD_DIMS = [2, 6, 34, 64, 126, 128, 130, 1000];
const B = 2, H = 3, T = 5;

type Table = "BTH" | "TH" | "T";

/** Angles-table value for (b, t, h, i): LTX-2 tables are a [B?,T,W/2] row per token, head h reading entries h·d/2 + i. */
function tableIndex(layout: Table, b: number, tk: number, h: number, i: number, half: number): number {
  const width = H * half;  // W/2 for W = H·d
  if (layout === "BTH") return (b * T + tk) * width + h * half + i;
  if (layout === "TH") return tk * width + h * half + i;
  return tk * half + i;
}

/** y = x·cos + rotate_half(x)·sin with full-width [.., d] tables cat(c, c), rotate_half(x) = cat(−x₂, x₁). */
function splitRef(x: Float64Array, c: Float64Array, s: Float64Array, layout: Table, d: number) {
  const half = d / 2;
  const y = new Float64Array(x.length), mag = new Float64Array(x.length);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let tk = 0; tk < T; tk++) {
    const base = ((b * H + h) * T + tk) * d;
    for (let j = 0; j < d; j++) {
      const i = j % half;
      const k = tableIndex(layout, b, tk, h, i, half);
      const rot = j < half ? -x[base + j + half]! : x[base + j - half]!;
      y[base + j] = x[base + j]! * c[k]! + rot * s[k]!;
      mag[base + j] = Math.abs(x[base + j]! * c[k]!) + Math.abs(rot * s[k]!);
    }
  }
  return { y, mag };
}

/** LTX-Video interleaved: pairs (x₂ᵢ, x₂ᵢ₊₁), rotated = (−x₂ᵢ₊₁, x₂ᵢ), tables repeat-interleaved over the pair. */
function interleavedRef(x: Float64Array, c: Float64Array, s: Float64Array, d: number) {
  const y = new Float64Array(x.length), mag = new Float64Array(x.length);
  for (let r = 0; r < B * H * T; r++) {
    const tk = r % T;
    for (let j = 0; j < d; j++) {
      const k = tk * (d / 2) + Math.floor(j / 2);
      const o = r * d + j;
      const rot = j % 2 === 0 ? -x[o + 1]! : x[o - 1]!;
      y[o] = x[o]! * c[k]! + rot * s[k]!;
      mag[o] = Math.abs(x[o]! * c[k]!) + Math.abs(rot * s[k]!);
    }
  }
  return { y, mag };
}

forEachIsa(async (isa) => {
  await t.test(`ropeSplit and ropeInterleaved on ${isa}`, async (t) => {
    for (const d of HEAD_DIMS) {
      const half = d / 2;
      for (const dtype of FLOAT_DTYPES) {
        const { t: x, v } = input([B, H, T, d], dtype, d * 7 + 3);
        using _x = x;
        const out = dtype === "bf16" ? 2 ** -8 : 0;
        const shapes: Record<Table, number[]> = { BTH: [B, T, H, half], TH: [T, H, half], T: [T, half] };
        for (const layout of ["BTH", "TH", "T"] as const) {
          // Angles in [-π, π]; cos/sin tables in the table dtype (bf16 like the model's, or f32).
          const n = shapes[layout].reduce((a, b2) => a * b2, 1);
          const angles = input([n], "f32", d + layout.length, -Math.PI, Math.PI).v;
          const tableDtype = layout === "TH" ? "bf16" : "f32";
          using c = Tensor.from(Float32Array.from(angles, Math.cos), shapes[layout], tableDtype);
          using s = Tensor.from(Float32Array.from(angles, Math.sin), shapes[layout], tableDtype);
          const cv = Float64Array.from(c.toFloat32()), sv = Float64Array.from(s.toFloat32());
          using y = ropeSplit(x, c, s);
          t.same(y.shape, [B, H, T, d]);
          const r = splitRef(v, cv, sv, layout, d);
          close(t, y.toFloat32(), r.y, (i) => 4e-7 * r.mag[i]! + out * Math.abs(r.y[i]!) + 1e-30, `ropeSplit ${dtype} x, ${tableDtype}[${shapes[layout]}] tables, d=${d}`);
          if (layout === "T") {
            using z = ropeInterleaved(x, c, s);
            const ri = interleavedRef(v, cv, sv, d);
            close(t, z.toFloat32(), ri.y, (i) => 4e-7 * ri.mag[i]! + out * Math.abs(ri.y[i]!) + 1e-30, `ropeInterleaved ${dtype} d=${d}`);
          }
        }
      }
    }
  });
}).catch((e: unknown) => t.fail(String(e)));

t.test("a rotation by a zero angle is the identity; by π/2 the split halves swap with a sign", async (t) => {
  using x = Tensor.from([1, 2, 3, 4], [1, 1, 1, 4]);
  using c0 = Tensor.from([1, 1], [1, 2]);
  using s0 = Tensor.from([0, 0], [1, 2]);
  using c1 = Tensor.from([0, 0], [1, 2]);
  using s1 = Tensor.from([1, 1], [1, 2]);
  t.same(Array.from(ropeSplit(x, c0, s0).toFloat32()), [1, 2, 3, 4]);
  t.same(Array.from(ropeSplit(x, c1, s1).toFloat32()), [-3, -4, 1, 2], "pairs (0,2) and (1,3)");
  t.same(Array.from(ropeInterleaved(x, c1, s1).toFloat32()), [-2, 1, -4, 3], "pairs (0,1) and (2,3)");
});

t.test("rope errors name the op, the arguments and their shapes", async (t) => {
  using x = Tensor.zeros([2, 3, 5, 8]);
  using odd = Tensor.zeros([2, 3, 5, 7]);
  using c = Tensor.zeros([5, 4]);
  using cBad = Tensor.zeros([5, 3]);
  using cTH = Tensor.zeros([5, 3, 4]);
  using s16 = Tensor.zeros([5, 4], "f16");
  using sBad = Tensor.zeros([4, 5]);
  throwsWith(t, () => ropeSplit(odd, c, c), ["aiprod.rope_split", "x is f32[2,3,5,7]", "even head dim"], "odd head dim");
  throwsWith(t, () => ropeSplit(x, cBad, cBad), ["aiprod.rope_split", "x is f32[2,3,5,8]", "cos is f32[5,3]", "[2,5,3,4], [5,3,4] or [5,4]"], "table shape");
  throwsWith(t, () => ropeInterleaved(x, cTH, cTH), ["aiprod.rope_interleaved", "cos is f32[5,3,4]", "must be [5,4]"], "interleaved takes [T,d/2]");
  throwsWith(t, () => ropeSplit(x, c, sBad), ["aiprod.rope_split", "cos is f32[5,4]", "sin is f32[4,5]"], "cos/sin mismatch");
  throwsWith(t, () => ropeSplit(x, c, s16), ["aiprod.rope_split", "sin is f16[5,4]", "f32 or bf16"], "f16 table");
  const gone = Tensor.zeros([5, 4]);
  gone.dispose();
  throwsWith(t, () => ropeSplit(x, gone, c), ["aiprod.rope_split", "'cos' is a disposed tensor"], "disposed table");
});
