// spaceToDepth3d, depthToSpace3d, pixelShuffle2d, patchify, unpatchify: exact copies, checked element by
// element against index models written from the einops patterns (each maps an input coordinate to its output
// coordinate), for every element size (f32, bf16/f16 bits, f8 bits), plus literal examples that pin the
// channel orders and round trips. One portable implementation serves every ISA path, so no forEachIsa.
import t from "tap";
import { type DType, depthToSpace3d, patchify, pixelShuffle2d, spaceToDepth3d, Tensor, unpatchify } from "../../src/index.js";
import { numel, throwsWith } from "../helpers/pointwise.js";

/** A tensor whose elements are distinct (modulo what the dtype's bits can hold), and its raw storage. */
function distinct(shape: number[], dtype: DType): Tensor {
  const n = numel(shape);
  if (dtype === "f32") return Tensor.from(Float32Array.from({ length: n }, (_, i) => i), shape, "f32");
  if (dtype === "f8e4m3") return Tensor.from(Uint8Array.from({ length: n }, (_, i) => (i * 37) % 127), shape, dtype);
  return Tensor.from(Uint16Array.from({ length: n }, (_, i) => (i * 7919) % 0x7f80), shape, dtype);
}

/** out[map(inputIndex)] = in[inputIndex] over all input coordinates. */
function scatterRef(input: ArrayLike<number>, inShape: number[], map: (c: number[]) => number): number[] {
  const out = new Array<number>(input.length);
  const c = new Array<number>(inShape.length).fill(0);
  for (let i = 0; i < input.length; i++) {
    out[map(c)] = input[i]!;
    for (let k = inShape.length - 1; k >= 0; k--) {
      if (++c[k]! < inShape[k]!) break;
      c[k] = 0;
    }
  }
  return out;
}

const flat = (shape: number[], c: number[]) => c.reduce((o, x, k) => o * shape[k]! + x, 0);

interface Case {
  name: string;
  inShape: number[];
  run: (x: Tensor) => Tensor;
  outShape: number[];
  /** Output flat index of an input coordinate, written from the einops pattern. */
  map: (c: number[]) => number;
}

function cases(): Case[] {
  const list: Case[] = [];
  const s2d: [number, number, number, number, number, number, number, number][] = [
    [2, 2, 2, 2, 3, 2, 3, 5], [1, 2, 2, 1, 4, 3, 2, 2], [2, 1, 1, 1, 1, 4, 1, 3], [2, 2, 2, 1, 2, 1, 1, 1]];
  for (const [p1, p2, p3, B, C, D, H, W] of s2d) {
    // "b c (d p1) (h p2) (w p3) -> b (c p1 p2 p3) d h w"
    const o = [B, C * p1 * p2 * p3, D, H, W];
    list.push({
      name: `spaceToDepth3d (${p1},${p2},${p3})`, inShape: [B, C, D * p1, H * p2, W * p3], outShape: o,
      run: (x) => spaceToDepth3d(x, [p1, p2, p3]),
      map: ([b, c, dd, hh, ww]) => flat(o, [b!, ((c! * p1 + (dd! % p1)) * p2 + (hh! % p2)) * p3 + (ww! % p3), Math.floor(dd! / p1), Math.floor(hh! / p2), Math.floor(ww! / p3)]),
    });
    // "b (c p1 p2 p3) d h w -> b c (d p1) (h p2) (w p3)"
    const o2 = [B, C, D * p1, H * p2, W * p3];
    list.push({
      name: `depthToSpace3d (${p1},${p2},${p3})`, inShape: [B, C * p1 * p2 * p3, D, H, W], outShape: o2,
      run: (x) => depthToSpace3d(x, [p1, p2, p3]),
      map: ([b, ch, d, h, w]) => {
        const i3 = ch! % p3, i2 = Math.floor(ch! / p3) % p2, i1 = Math.floor(ch! / (p2 * p3)) % p1, c = Math.floor(ch! / (p1 * p2 * p3));
        return flat(o2, [b!, c, d! * p1 + i1, h! * p2 + i2, w! * p3 + i3]);
      },
    });
  }
  for (const [r, lead, C, H, W] of [[2, [2], 3, 4, 5], [3, [2, 2], 1, 2, 3], [1, [1], 2, 3, 3]] as [number, number[], number, number, number][]) {
    // torch PixelShuffle: out[..., c, h·r + i, w·r + j] = in[..., c·r² + i·r + j, h, w]
    const o = [...lead, C, H * r, W * r];
    list.push({
      name: `pixelShuffle2d r=${r} lead [${lead}]`, inShape: [...lead, C * r * r, H, W], outShape: o,
      run: (x) => pixelShuffle2d(x, r),
      map: (c) => {
        const [ch, h, w] = c.slice(-3) as [number, number, number];
        const i = Math.floor(ch / r) % r, j = ch % r;
        return flat(o, [...c.slice(0, -3), Math.floor(ch / (r * r)), h * r + i, w * r + j]);
      },
    });
  }
  const pat: [number, number, number, number, number, number, number][] = [
    [4, 1, 1, 3, 2, 2, 3], [2, 2, 2, 3, 2, 3, 2], [4, 1, 1, 3, 1, 1, 1], [1, 1, 1, 2, 2, 2, 2]];
  for (const [P, pt, B, C, F, H, W] of pat) {
    // "b c (f p) (h q) (w r) -> b (c p r q) f h w", p = pt, q = r = P: q is the h sub-index, r the w one
    const o = [B, C * pt * P * P, F, H, W];
    list.push({
      name: `patchify p=${P} pt=${pt}`, inShape: [B, C, F * pt, H * P, W * P], outShape: o,
      run: (x) => patchify(x, P, pt),
      map: ([b, c, f, h, w]) => flat(o, [b!, ((c! * pt + (f! % pt)) * P + (w! % P)) * P + (h! % P), Math.floor(f! / pt), Math.floor(h! / P), Math.floor(w! / P)]),
    });
    // "b (c p r q) f h w -> b c (f p) (h q) (w r)"
    const o2 = [B, C, F * pt, H * P, W * P];
    list.push({
      name: `unpatchify p=${P} pt=${pt}`, inShape: o, outShape: o2,
      run: (x) => unpatchify(x, P, pt),
      map: ([b, ch, f, h, w]) => {
        const q = ch! % P, r = Math.floor(ch! / P) % P, p = Math.floor(ch! / (P * P)) % pt, c = Math.floor(ch! / (P * P * pt));
        return flat(o2, [b!, c, f! * pt + p, h! * P + q, w! * P + r]);
      },
    });
    if (pt === 1) {
      // 4-d: "b c (h q) (w r) -> b (c r q) h w"
      const o4 = [B, C * P * P, H, W];
      list.push({
        name: `patchify 4-d p=${P}`, inShape: [B, C, H * P, W * P], outShape: o4,
        run: (x) => patchify(x, P),
        map: ([b, c, h, w]) => flat(o4, [b!, (c! * P + (w! % P)) * P + (h! % P), Math.floor(h! / P), Math.floor(w! / P)]),
      });
    }
  }
  return list;
}

t.test("layout ops match their einops index models for every element size", async (t) => {
  for (const c of cases()) {
    for (const dtype of ["f32", "bf16", "f16", "f8e4m3"] as const) {
      using x = distinct(c.inShape, dtype);
      using y = c.run(x);
      t.same(y.shape, c.outShape, `${c.name} shape`);
      t.equal(y.dtype, dtype);
      const want = scatterRef(x.read(), c.inShape, c.map);
      const got = Array.from(y.read());
      const bad = got.findIndex((v, i) => v !== want[i]);
      t.equal(bad, -1, `${c.name} ${dtype}[${c.inShape}]`);
    }
  }
});

t.test("channel orders, pinned by literal examples", async (t) => {
  // 2×2 image [[0,1],[2,3]] (rows h, columns w).
  using img4 = Tensor.from([0, 1, 2, 3], [1, 1, 2, 2]);
  t.same(Array.from(patchify(img4, 2).toFloat32()), [0, 2, 1, 3], "patchify (c r q): w sub-index before h sub-index");
  using img5 = Tensor.from([0, 1, 2, 3], [1, 1, 1, 2, 2]);
  t.same(Array.from(spaceToDepth3d(img5, [1, 2, 2]).toFloat32()), [0, 1, 2, 3], "spaceToDepth3d (c p1 p2 p3): h sub-index before w");
  using ch4 = Tensor.from([0, 1, 2, 3], [1, 4, 1, 1]);
  t.same(Array.from(pixelShuffle2d(ch4, 2).toFloat32()), [0, 1, 2, 3], "pixelShuffle2d: channel i·r + j -> (h·r + i, w·r + j)");
});

t.test("inverses round-trip", async (t) => {
  using x = distinct([2, 3, 4, 6, 8], "f32");
  using a = spaceToDepth3d(x, [2, 2, 2]);
  using b = depthToSpace3d(a, [2, 2, 2]);
  t.same(Array.from(b.read()), Array.from(x.read()), "depthToSpace3d ∘ spaceToDepth3d");
  using p = patchify(x, 2, 2);
  using u = unpatchify(p, 2, 2);
  t.same(Array.from(u.read()), Array.from(x.read()), "unpatchify ∘ patchify");
  using big = distinct([1, 3, 9, 64, 64], "bf16");
  using pb = patchify(big);
  t.same(pb.shape, [1, 48, 9, 16, 16], "VAE input 3 ch -> 48 ch");
  using ub = unpatchify(pb);
  t.same(Array.from(ub.read()), Array.from(big.read()), "round trip at VAE size (threaded)");
});

t.test("layout errors name the op, the shapes and the factors", async (t) => {
  using x = Tensor.zeros([1, 2, 3, 4, 4]);
  using x4 = Tensor.zeros([1, 3, 6, 6]);
  throwsWith(t, () => spaceToDepth3d(x, [2, 2, 2]), ["aiprod.space_to_depth3d", "x is f32[1,2,3,4,4]", "not divisible by the factors 2,2,2"], "odd frames");
  throwsWith(t, () => spaceToDepth3d(x4, [1, 2, 2]), ["aiprod.space_to_depth3d", "f32[1,3,6,6]", "[B,C,D,H,W]"], "rank");
  throwsWith(t, () => depthToSpace3d(x, [2, 2, 2]), ["aiprod.depth_to_space3d", "channels 2 are not divisible by p1·p2·p3 = 8"], "channels");
  throwsWith(t, () => spaceToDepth3d(x, [0, 1, 1]), ["aiprod.space_to_depth3d", "p1 is 0", "integer >= 1"], "zero factor");
  throwsWith(t, () => pixelShuffle2d(x4, 2), ["aiprod.pixel_shuffle2d", "x is f32[1,3,6,6]", "channels 3 are not divisible by r² = 4"], "pixelShuffle channels");
  throwsWith(t, () => patchify(x4), ["aiprod.patchify", "x is f32[1,3,6,6]", "not divisible by pt,p,p = 1,4,4"], "patchify spatial");
  throwsWith(t, () => patchify(x4, 2, 2), ["aiprod.patchify", "pt must be 1"], "4-d with pt");
  throwsWith(t, () => unpatchify(x4, 2), ["aiprod.unpatchify", "channels 3 are not divisible by pt·p·p = 4"], "unpatchify channels");
  const gone = Tensor.zeros([1, 4, 2, 2]);
  gone.dispose();
  throwsWith(t, () => pixelShuffle2d(gone, 2), ["aiprod.pixel_shuffle2d", "disposed"], "disposed tensor");
});
