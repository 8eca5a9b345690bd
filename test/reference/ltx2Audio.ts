// Float64 reference of the LTX-2 audio models, written from the reference document (§4.2, §4.3) and the
// PyTorch layer definitions (Conv2d/Conv1d/ConvTranspose1d index formulas, F.pad, nearest interpolation), with
// plain loops over Float64Arrays. It shares no code with the engine.

/** A dense float64 n-d array. */
export interface Arr {
  data: Float64Array;
  shape: number[];
}

export const arr = (data: ArrayLike<number>, shape: number[]): Arr => ({ data: Float64Array.from(data), shape: [...shape] });

const idx4 = (s: number[], a: number, b: number, c: number, d: number) => ((a * s[1]! + b) * s[2]! + c) * s[3]! + d;

/** Conv2d on [B, Cin, H, W] with explicit zero padding (top, bottom, left, right) and one stride. */
export function conv2d(x: Arr, w: Arr, bias: Arr | undefined, pad: [number, number, number, number], stride = 1): Arr {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const [O, , KH, KW] = w.shape as [number, number, number, number];
  const [pt, pb, pl, pr] = pad;
  const OH = Math.floor((H + pt + pb - KH) / stride) + 1, OW = Math.floor((W + pl + pr - KW) / stride) + 1;
  const out = new Float64Array(B * O * OH * OW);
  const os = [B, O, OH, OW];
  const xd = x.data, wd = w.data;
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    let s = bias ? bias.data[o]! : 0;
    for (let c = 0; c < C; c++) {
      const xBase = (b * C + c) * H, wBase = (o * C + c) * KH;
      for (let ki = 0; ki < KH; ki++) {
        const y = i * stride + ki - pt;
        if (y < 0 || y >= H) continue;
        const xRow = (xBase + y) * W, wRow = (wBase + ki) * KW;
        for (let kj = 0; kj < KW; kj++) {
          const xx = j * stride + kj - pl;
          if (xx >= 0 && xx < W) s += wd[wRow + kj]! * xd[xRow + xx]!;
        }
      }
    }
    out[((b * O + o) * OH + i) * OW + j] = s;
  }
  return { data: out, shape: os };
}

/** CausalConv2d, causality along height (time): pad (k−1) on top, (k−1)/2 left and right. */
export const causalConv2d = (x: Arr, w: Arr, b: Arr | undefined): Arr => {
  const k = w.shape[2]!;
  return conv2d(x, w, b, [k - 1, 0, (k - 1) >> 1, (k - 1) >> 1]);
};

/** x / sqrt(mean_c x² + eps) per (b, h, w). */
export function pixelNorm(x: Arr, eps: number): Arr {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < B; b++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x.data[idx4(x.shape, b, c, i, j)]! ** 2;
    const r = Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out[idx4(x.shape, b, c, i, j)] = x.data[idx4(x.shape, b, c, i, j)]! / r;
  }
  return { data: out, shape: [...x.shape] };
}

export const map = (x: Arr, f: (v: number) => number): Arr => ({ data: x.data.map(f), shape: [...x.shape] });
export const add = (a: Arr, b: Arr): Arr => ({ data: a.data.map((v, i) => v + b.data[i]!), shape: [...a.shape] });
export const silu = (x: Arr): Arr => map(x, (v) => v / (1 + Math.exp(-v)));
export const leaky = (x: Arr, slope: number): Arr => map(x, (v) => (v >= 0 ? v : slope * v));

export type Weights = (key: string) => Arr;

/** ResnetBlock (§4.2): x' + conv2(silu(pn(conv1(silu(pn(x)))))), x' = 1×1 nin_shortcut(x) when widths differ. */
export function resnetBlock(x: Arr, w: Weights, prefix: string): Arr {
  const eps = 1e-6;
  const h1 = causalConv2d(silu(pixelNorm(x, eps)), w(`${prefix}.conv1.conv.weight`), w(`${prefix}.conv1.conv.bias`));
  const h2 = causalConv2d(silu(pixelNorm(h1, eps)), w(`${prefix}.conv2.conv.weight`), w(`${prefix}.conv2.conv.bias`));
  const cin = x.shape[1]!, cout = h2.shape[1]!;
  const skip = cin === cout ? x : causalConv2d(x, w(`${prefix}.nin_shortcut.conv.weight`), w(`${prefix}.nin_shortcut.conv.bias`));
  return add(skip, h2);
}

/** Upsample: nearest ×2 in time and frequency, causal 3×3 conv, first time step dropped. */
export function upsample(x: Arr, w: Weights, prefix: string): Arr {
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const up = new Float64Array(B * C * 4 * H * W);
  const us = [B, C, 2 * H, 2 * W];
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let i = 0; i < 2 * H; i++) for (let j = 0; j < 2 * W; j++) {
    up[idx4(us, b, c, i, j)] = x.data[idx4(x.shape, b, c, i >> 1, j >> 1)]!;
  }
  const y = causalConv2d({ data: up, shape: us }, w(`${prefix}.conv.conv.weight`), w(`${prefix}.conv.conv.bias`));
  const [, O, YH, YW] = y.shape as [number, number, number, number];
  const out = new Float64Array(B * O * (YH - 1) * YW);
  const os = [B, O, YH - 1, YW];
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let i = 1; i < YH; i++) for (let j = 0; j < YW; j++) {
    out[idx4(os, b, o, i - 1, j)] = y.data[idx4(y.shape, b, o, i, j)]!;
  }
  return { data: out, shape: os };
}

/** Downsample: F.pad(x, (0, 1, 2, 0)) then Conv2d(k3, stride 2). */
export const downsample = (x: Arr, w: Weights, prefix: string): Arr =>
  conv2d(x, w(`${prefix}.conv.weight`), w(`${prefix}.conv.bias`), [2, 0, 0, 1], 2);

/** Un-normalize on the patchified vector: token (b, t) gets x[c·F + f]·std + mean, "b c t f -> b t (c f)". */
export function unNormalize(x: Arr, std: Arr, mean: Arr): Arr {
  const [B, C, T, F] = x.shape as [number, number, number, number];
  const tokens = new Float64Array(B * T * C * F);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) {
    const k = c * F + f;
    tokens[(b * T + t) * C * F + k] = x.data[idx4(x.shape, b, c, t, f)]! * std.data[k]! + mean.data[k]!;
  }
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) {
    out[idx4(x.shape, b, c, t, f)] = tokens[(b * T + t) * C * F + c * F + f]!;
  }
  return { data: out, shape: [...x.shape] };
}

/** Conv1d [B, Cin, L] with symmetric zero padding p and dilation d. */
export function conv1d(x: Arr, w: Arr, bias: Arr | undefined, p: number, d = 1): Arr {
  const [B, C, L] = x.shape as [number, number, number];
  const [O, , K] = w.shape as [number, number, number];
  const OL = L + 2 * p - d * (K - 1);
  const out = new Float64Array(B * O * OL);
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let t = 0; t < OL; t++) {
    let s = bias ? bias.data[o]! : 0;
    for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) {
      const i = t - p + k * d;
      if (i >= 0 && i < L) s += w.data[(o * C + c) * K + k]! * x.data[(b * C + c) * L + i]!;
    }
    out[(b * O + o) * OL + t] = s;
  }
  return { data: out, shape: [B, O, OL] };
}

/** ConvTranspose1d: out[i·s − p + k] += x[i]·w[ci, co, k], weight [Cin, Cout, K]. */
export function convTranspose1d(x: Arr, w: Arr, bias: Arr | undefined, s: number, p: number): Arr {
  const [B, C, L] = x.shape as [number, number, number];
  const [, O, K] = w.shape as [number, number, number];
  const OL = (L - 1) * s - 2 * p + K;
  const out = new Float64Array(B * O * OL);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) for (let t = 0; t < OL; t++) out[(b * O + o) * OL + t] = bias ? bias.data[o]! : 0;
    for (let c = 0; c < C; c++) for (let i = 0; i < L; i++) {
      const v = x.data[(b * C + c) * L + i]!;
      for (let o = 0; o < O; o++) for (let k = 0; k < K; k++) {
        const t = i * s - p + k;
        if (t >= 0 && t < OL) out[(b * O + o) * OL + t] = out[(b * O + o) * OL + t]! + v * w.data[(c * O + o) * K + k]!;
      }
    }
  }
  return { data: out, shape: [B, O, OL] };
}

/** HiFi-GAN ResBlock1 (§4.3): for each dilation d: x += conv(lrelu(conv_d(lrelu(x, .1))), .1), "same" padding. */
export function resBlock1(x: Arr, w: Weights, prefix: string, kernel: number, dilations: number[]): Arr {
  let h = x;
  dilations.forEach((d, j) => {
    const a = conv1d(leaky(h, 0.1), w(`${prefix}.convs1.${j}.weight`), w(`${prefix}.convs1.${j}.bias`), (d * (kernel - 1)) / 2, d);
    const b = conv1d(leaky(a, 0.1), w(`${prefix}.convs2.${j}.weight`), w(`${prefix}.convs2.${j}.bias`), (kernel - 1) / 2, 1);
    h = add(h, b);
  });
  return h;
}

/** One vocoder stage: lrelu(.1) → ConvTranspose1d(rate, padding (k−rate)/2) → mean of the MRF blocks. */
export function upsampleStage(x: Arr, w: Weights, stage: number, rate: number, kernel: number, rbKernels: number[], rbDilations: number[][]): Arr {
  const u = convTranspose1d(leaky(x, 0.1), w(`ups.${stage}.weight`), w(`ups.${stage}.bias`), rate, Math.floor((kernel - rate) / 2));
  const outs = rbKernels.map((k, j) => resBlock1(u, w, `resblocks.${stage * rbKernels.length + j}`, k, rbDilations[j]!));
  return { data: u.data.map((_, i) => outs.reduce((s, o) => s + o.data[i]!, 0) / outs.length), shape: [...u.shape] };
}

// ---- mel front end (§4.2): direct DFT, no FFT ----

const melOf = (f: number) => (f >= 1000 ? 15 + Math.log(f / 1000) / (Math.log(6.4) / 27) : (3 * f) / 200);
const hzOf = (m: number) => (m >= 15 ? 1000 * Math.exp((Math.log(6.4) / 27) * (m - 15)) : (200 * m) / 3);

/** Log-mel of one channel, [T][nMels]: centered frames (reflect pad n/2), periodic Hann, |DFT|, slaney bank. */
export function logMelDirect(sig: ArrayLike<number>, sr: number, nFft: number, hop: number, nMels: number): number[][] {
  const L = sig.length, half = nFft / 2;
  const at = (i: number) => sig[i < 0 ? -i : i >= L ? 2 * (L - 1) - i : i]!;
  const nF = half + 1;
  const pts = Array.from({ length: nMels + 2 }, (_, i) => hzOf((melOf(sr / 2) * i) / (nMels + 1)));
  const frames: number[][] = [];
  for (let t = 0; t <= Math.floor(L / hop); t++) {
    const mag: number[] = [];
    for (let k = 0; k < nF; k++) {
      let re = 0, im = 0;
      for (let n = 0; n < nFft; n++) {
        const v = at(t * hop - half + n) * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / nFft));
        re += v * Math.cos((2 * Math.PI * k * n) / nFft);
        im -= v * Math.sin((2 * Math.PI * k * n) / nFft);
      }
      mag.push(Math.sqrt(re * re + im * im));
    }
    const row: number[] = [];
    for (let m = 0; m < nMels; m++) {
      let s = 0;
      for (let k = 0; k < nF; k++) {
        const f = (k * sr) / 2 / (nF - 1);
        const tri = Math.max(0, Math.min((f - pts[m]!) / (pts[m + 1]! - pts[m]!), (pts[m + 2]! - f) / (pts[m + 2]! - pts[m + 1]!)));
        s += tri * (2 / (pts[m + 2]! - pts[m]!)) * mag[k]!;
      }
      row.push(Math.log(Math.max(s, 1e-5)));
    }
    frames.push(row);
  }
  return frames;
}
