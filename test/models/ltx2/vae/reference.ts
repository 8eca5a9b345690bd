// Independent float64 reference of the LTX-2 video VAE and latent upsampler, written from the formulas of
// shared/reference/ltx2-architecture.md (§4.1, §2.1) and upstream's module definitions — plain index arithmetic,
// no engine op. Tensors are { s: shape, d: Float64Array } in row-major (C order).

export interface T {
  s: number[];
  d: Float64Array;
}

export const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
export const make = (s: number[], fill?: (i: number) => number): T => ({ s, d: fill ? Float64Array.from({ length: numel(s) }, (_, i) => fill(i)) : new Float64Array(numel(s)) });
export const fromF32 = (a: ArrayLike<number>, s: number[]): T => ({ s: [...s], d: Float64Array.from(a) });

function idx5(s: readonly number[], b: number, c: number, t: number, y: number, x: number): number {
  return (((b * s[1]! + c) * s[2]! + t) * s[3]! + y) * s[4]! + x;
}

export type Pad = "zeros" | "reflect" | "replicate";

/** Source index of padded position i on an axis of length n, or -1 for a zero. */
function source(i: number, n: number, mode: Pad): number {
  if (i >= 0 && i < n) return i;
  if (mode === "zeros") return -1;
  if (mode === "replicate") return i < 0 ? 0 : n - 1;
  return i < 0 ? -i : 2 * (n - 1) - i; // reflect: mirror without repeating the edge
}

/** Frames concatenated along time: `front` copies of frame 0, x, `back` copies of the last frame. */
export function replicateFrames(x: T, front: number, back: number): T {
  const [B, C, F, H, W] = x.s as [number, number, number, number, number];
  const out = make([B, C, F + front + back, H, W]);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let t = 0; t < F + front + back; t++) {
    const st = Math.min(F - 1, Math.max(0, t - front));
    for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) out.d[idx5(out.s, b, c, t, y, xx)] = x.d[idx5(x.s, b, c, st, y, xx)]!;
  }
  return out;
}

/** Plain Conv3d: spatial padding p (mode), no time padding, stride per axis, weight [Co, Ci, kt, kh, kw]. */
export function conv3d(x: T, w: T, bias: Float64Array | undefined, stride: readonly number[], padHW: number, mode: Pad, padT = 0): T {
  const [B, Ci, F, H, W] = x.s as [number, number, number, number, number];
  const [Co, wci, kt, kh, kw] = w.s as [number, number, number, number, number];
  if (wci !== Ci) throw new Error(`reference conv3d: ${Ci} input channels vs weight ${w.s}`);
  const of = Math.floor((F + 2 * padT - kt) / stride[0]!) + 1, oh = Math.floor((H + 2 * padHW - kh) / stride[1]!) + 1, ow = Math.floor((W + 2 * padHW - kw) / stride[2]!) + 1;
  const out = make([B, Co, of, oh, ow]);
  for (let b = 0; b < B; b++) for (let co = 0; co < Co; co++) for (let t = 0; t < of; t++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
    let acc = bias ? bias[co]! : 0;
    for (let ci = 0; ci < Ci; ci++) for (let dt = 0; dt < kt; dt++) {
      const st = source(t * stride[0]! + dt - padT, F, "zeros");
      if (st < 0) continue;
      for (let dy = 0; dy < kh; dy++) {
        const sy = source(y * stride[1]! + dy - padHW, H, mode);
        if (sy < 0) continue;
        for (let dx = 0; dx < kw; dx++) {
          const sx = source(xx * stride[2]! + dx - padHW, W, mode);
          if (sx < 0) continue;
          acc += w.d[(((co * Ci + ci) * kt + dt) * kh + dy) * kw + dx]! * x.d[idx5(x.s, b, ci, st, sy, sx)]!;
        }
      }
    }
    out.d[idx5(out.s, b, co, t, y, xx)] = acc;
  }
  return out;
}

/** upstream CausalConv3d (k = 3): causal → 2 copies of frame 0 in front; else 1 copy of first/last each side. */
export function causalConv3d(x: T, w: T, bias: Float64Array, causal: boolean, mode: Pad, stride: readonly number[] = [1, 1, 1]): T {
  const k = w.s[2]!;
  const padded = causal ? replicateFrames(x, k - 1, 0) : replicateFrames(x, (k - 1) / 2, (k - 1) / 2);
  return conv3d(padded, w, bias, stride, Math.floor(w.s[3]! / 2), mode);
}

/** y = x / sqrt(mean over channels of x² + eps). */
export function pixelNorm(x: T, eps = 1e-8): T {
  const [B, C] = x.s as [number, number];
  const inner = numel(x.s.slice(2));
  const out = make([...x.s]);
  for (let b = 0; b < B; b++) for (let i = 0; i < inner; i++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x.d[(b * C + c) * inner + i]! ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out.d[(b * C + c) * inner + i] = x.d[(b * C + c) * inner + i]! * r;
  }
  return out;
}

/** torch GroupNorm: statistics over each group of C/G channels and all positions, population variance. */
export function groupNorm(x: T, groups: number, weight: Float64Array, bias: Float64Array, eps: number): T {
  const [B, C] = x.s as [number, number];
  const inner = numel(x.s.slice(2)), per = C / groups;
  const out = make([...x.s]);
  for (let b = 0; b < B; b++) for (let g = 0; g < groups; g++) {
    let sum = 0, n = per * inner;
    for (let c = g * per; c < (g + 1) * per; c++) for (let i = 0; i < inner; i++) sum += x.d[(b * C + c) * inner + i]!;
    const mu = sum / n;
    let v = 0;
    for (let c = g * per; c < (g + 1) * per; c++) for (let i = 0; i < inner; i++) v += (x.d[(b * C + c) * inner + i]! - mu) ** 2;
    const r = 1 / Math.sqrt(v / n + eps);
    for (let c = g * per; c < (g + 1) * per; c++) for (let i = 0; i < inner; i++) {
      out.d[(b * C + c) * inner + i] = (x.d[(b * C + c) * inner + i]! - mu) * r * weight[c]! + bias[c]!;
    }
  }
  return out;
}

export const map = (x: T, f: (v: number, i: number) => number): T => ({ s: [...x.s], d: x.d.map(f) });
export const silu = (x: T): T => map(x, (v) => v / (1 + Math.exp(-v)));
export const add = (a: T, b: T): T => map(a, (v, i) => v + b.d[i]!);

/** Per-channel x·(1 + scale[b,c]) + shift[b,c]. */
export function modulate(x: T, scale: Float64Array, shift: Float64Array): T {
  const [B, C] = x.s as [number, number];
  const inner = numel(x.s.slice(2));
  return map(x, (v, i) => {
    const bc = Math.floor(i / inner), c = bc % C, b = Math.floor(bc / C);
    return v * (1 + scale[b * C + c]!) + shift[b * C + c]!;
  });
}

/** "b c (d p1) (h p2) (w p3) -> b (c p1 p2 p3) d h w". */
export function spaceToDepth(x: T, [p1, p2, p3]: readonly number[]): T {
  const [B, C, F, H, W] = x.s as [number, number, number, number, number];
  const out = make([B, C * p1! * p2! * p3!, F / p1!, H / p2!, W / p3!]);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let t = 0; t < F; t++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    const oc = ((c * p1! + (t % p1!)) * p2! + (y % p2!)) * p3! + (xx % p3!);
    out.d[idx5(out.s, b, oc, Math.floor(t / p1!), Math.floor(y / p2!), Math.floor(xx / p3!))] = x.d[idx5(x.s, b, c, t, y, xx)]!;
  }
  return out;
}

/** "b (c p1 p2 p3) d h w -> b c (d p1) (h p2) (w p3)". */
export function depthToSpace(x: T, [p1, p2, p3]: readonly number[]): T {
  const [B, CC, F, H, W] = x.s as [number, number, number, number, number];
  const C = CC / (p1! * p2! * p3!);
  const out = make([B, C, F * p1!, H * p2!, W * p3!]);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let t = 0; t < F * p1!; t++) for (let y = 0; y < H * p2!; y++) for (let xx = 0; xx < W * p3!; xx++) {
    const ic = ((c * p1! + (t % p1!)) * p2! + (y % p2!)) * p3! + (xx % p3!);
    out.d[idx5(out.s, b, c, t, y, xx)] = x.d[idx5(x.s, b, ic, Math.floor(t / p1!), Math.floor(y / p2!), Math.floor(xx / p3!))]!;
  }
  return out;
}

/** Frames [from, from + n) along dim 2. */
export function frames(x: T, from: number, n: number): T {
  const [B, C, , H, W] = x.s as [number, number, number, number, number];
  const out = make([B, C, n, H, W]);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let t = 0; t < n; t++) for (let i = 0; i < H * W; i++) {
    out.d[idx5(out.s, b, c, t, 0, 0) + i] = x.d[idx5(x.s, b, c, from + t, 0, 0) + i]!;
  }
  return out;
}

/** Channels [from, from + n) along dim 1. */
export function channels(x: T, from: number, n: number): T {
  const [B, C] = x.s as [number, number];
  const inner = numel(x.s.slice(2));
  const out = make([B, n, ...x.s.slice(2)]);
  for (let b = 0; b < B; b++) for (let c = 0; c < n; c++) for (let i = 0; i < inner; i++) out.d[(b * n + c) * inner + i] = x.d[(b * C + from + c) * inner + i]!;
  return out;
}

/** Concatenation along dim 1 or 2 (B = 1). */
export function cat(xs: T[], dim: 1 | 2): T {
  if (dim === 1) {
    const s = [...xs[0]!.s];
    s[1] = xs.reduce((a, x) => a + x.s[1]!, 0);
    const out = make(s);
    let off = 0;
    for (const x of xs) (out.d.set(x.d, off), (off += x.d.length));
    return out;
  }
  const [, C, , H, W] = xs[0]!.s as [number, number, number, number, number];
  const F = xs.reduce((a, x) => a + x.s[2]!, 0);
  const out = make([1, C, F, H, W]);
  for (let c = 0; c < C; c++) {
    let t0 = 0;
    for (const x of xs) {
      const n = x.s[2]! * H * W;
      out.d.set(x.d.subarray(c * n, (c + 1) * n), (c * F + t0) * H * W);
      t0 += x.s[2]!;
    }
  }
  return out;
}

/** SpaceToDepthDownsample: frame 0 duplicated for a time stride 2, conv → space-to-depth, + grouped mean skip. */
export function spaceToDepthDownsample(x: T, w: T, bias: Float64Array, stride: readonly number[], outChannels: number, mode: Pad): T {
  const xin = stride[0] === 2 ? cat([frames(x, 0, 1), x], 2) : x;
  const s2d = spaceToDepth(xin, stride);
  const g = s2d.s[1]! / outChannels;
  const inner = numel(s2d.s.slice(2));
  const skip = make([s2d.s[0]!, outChannels, ...s2d.s.slice(2)]);
  for (let c = 0; c < outChannels; c++) for (let i = 0; i < inner; i++) {
    let sum = 0;
    for (let k = 0; k < g; k++) sum += s2d.d[(c * g + k) * inner + i]!;
    skip.d[c * inner + i] = sum / g;
  }
  const conv = spaceToDepth(causalConv3d(xin, w, bias, true, mode), stride);
  return add(conv, skip);
}

/** DepthToSpaceUpsample: conv → depth-to-space, first frame dropped for a time stride 2, + repeated input (residual). */
export function depthToSpaceUpsample(x: T, w: T, bias: Float64Array, stride: readonly number[], residual: boolean, reduction: number, causal: boolean, mode: Pad): T {
  const drop = (y: T) => (stride[0] === 2 ? frames(y, 1, y.s[2]! - 1) : y);
  const main = drop(depthToSpace(causalConv3d(x, w, bias, causal, mode), stride));
  if (!residual) return main;
  const d = depthToSpace(x, stride);
  const reps = (stride[0]! * stride[1]! * stride[2]!) / reduction;
  return add(main, drop(cat(Array.from({ length: reps }, () => d), 1)));
}

/** "b c (f p) (h q) (w r) -> b (c p r q) f h w" with p = 1: channel = (c·r_sub + w_sub)·q + h_sub. */
export function patchify(x: T, p: number): T {
  const [B, C, F, H, W] = x.s as [number, number, number, number, number];
  const out = make([B, C * p * p, F, H / p, W / p]);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let t = 0; t < F; t++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    const oc = (c * p + (xx % p)) * p + (y % p);
    out.d[idx5(out.s, b, oc, t, Math.floor(y / p), Math.floor(xx / p))] = x.d[idx5(x.s, b, c, t, y, xx)]!;
  }
  return out;
}

export function unpatchify(x: T, p: number): T {
  const [B, CC, F, H, W] = x.s as [number, number, number, number, number];
  const C = CC / (p * p);
  const out = make([B, C, F, H * p, W * p]);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let t = 0; t < F; t++) for (let y = 0; y < H * p; y++) for (let xx = 0; xx < W * p; xx++) {
    const ic = (c * p + (xx % p)) * p + (y % p);
    out.d[idx5(out.s, b, c, t, y, xx)] = x.d[idx5(x.s, b, ic, t, Math.floor(y / p), Math.floor(xx / p))]!;
  }
  return out;
}

/** (x − mean[c]) / std[c] and its inverse. */
export const normalize = (x: T, mean: Float64Array, std: Float64Array): T => {
  const inner = numel(x.s.slice(2)), C = x.s[1]!;
  return map(x, (v, i) => (v - mean[Math.floor(i / inner) % C]!) / std[Math.floor(i / inner) % C]!);
};
export const unNormalize = (x: T, mean: Float64Array, std: Float64Array): T => {
  const inner = numel(x.s.slice(2)), C = x.s[1]!;
  return map(x, (v, i) => v * std[Math.floor(i / inner) % C]! + mean[Math.floor(i / inner) % C]!);
};

/** torch.nn.PixelShuffle(2) applied to every frame of [B, C·4, F, H, W] (the spatial upsampler's Conv2d output). */
export function pixelShufflePerFrame(x: T): T {
  const [B, CC, F, H, W] = x.s as [number, number, number, number, number];
  const C = CC / 4;
  const out = make([B, C, F, 2 * H, 2 * W]);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let t = 0; t < F; t++) for (let y = 0; y < 2 * H; y++) for (let xx = 0; xx < 2 * W; xx++) {
    const ic = c * 4 + (y % 2) * 2 + (xx % 2);
    out.d[idx5(out.s, b, c, t, y, xx)] = x.d[idx5(x.s, b, ic, t, y >> 1, xx >> 1)]!;
  }
  return out;
}

/** "b (c p1) f h w -> b c (f p1) h w" with p1 = 2 (temporal shuffle). */
export function temporalShuffle(x: T): T {
  return depthToSpace(x, [2, 1, 1]);
}

/** Conv2d(k3, zero padding 1) applied to each frame: weight [Co, Ci, 3, 3]. */
export function conv2dPerFrame(x: T, w: T, bias: Float64Array): T {
  return conv3d(x, { s: [w.s[0]!, w.s[1]!, 1, 3, 3], d: w.d }, bias, [1, 1, 1], 1, "zeros");
}
