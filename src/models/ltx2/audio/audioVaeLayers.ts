// Building blocks of the audio VAE (upstream `causal_conv_2d.py`, `resnet.py`, `downsample.py`, `upsample.py`),
// for the released configuration: causality along time ("height", dim 2 of [B, C, T, F]), PixelNorm (eps 1e-6),
// SiLU, no time embedding. The native conv pads symmetrically, so the asymmetric causal padding is made
// explicitly with zero blocks first.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { conv2d } from "../../../runtime/conv.js";
import { pixelNorm } from "../../../runtime/norm.js";
import { silu } from "../../../runtime/activation.js";
import { concat, narrow, reshape } from "../../../runtime/shape.js";
import { Tensor } from "../../../runtime/tensor.js";
import { type ConvWeights, disposeConv, loadConv } from "./weights.js";

/** PixelNorm epsilon of the audio VAE (`build_normalization_layer(..., PIXEL)`). */
export const AUDIO_PIXEL_NORM_EPS = 1e-6;

/** x with `before` zero slices in front of and `after` behind dimension `dim` (F.pad with zeros). */
export function padZeros(x: Tensor, dim: number, before: number, after: number): Tensor {
  if (before === 0 && after === 0) return reshape(x, x.shape);
  const parts: Tensor[] = [];
  const zeros = (n: number) => Tensor.zeros(x.shape.map((d, i) => (i === dim ? n : d)), x.dtype);
  if (before) parts.push(zeros(before));
  parts.push(x);
  if (after) parts.push(zeros(after));
  try {
    return concat(parts, dim);
  } finally {
    for (const p of parts) if (p !== x) p.dispose();
  }
}

/**
 * CausalConv2d with causality_axis HEIGHT, stride 1: time padded (k−1) in front and nothing behind,
 * frequency padded (k−1)/2 each side; weights at `<prefix>.conv.*`.
 */
export class CausalConv2d implements Disposable {
  readonly w: ConvWeights;
  constructor(src: WeightSource, prefix: string, readonly cin: number, readonly cout: number, readonly k: number) {
    this.w = loadConv(src, `${prefix}.conv`, [cout, cin, k, k], cout);
  }

  forward(x: Tensor): Tensor {
    const pad = this.k - 1;
    using padded = padZeros(x, 2, pad, 0);
    return conv2d(padded, this.w.weight, { bias: this.w.bias, padding: [0, pad >> 1] });
  }

  [Symbol.dispose](): void {
    disposeConv(this.w);
  }
}

/** ResnetBlock: x' + conv2(silu(norm2(conv1(silu(norm1(x)))))), x' = nin_shortcut(x) when channels change. */
export class ResnetBlock implements Disposable {
  readonly conv1: CausalConv2d;
  readonly conv2: CausalConv2d;
  readonly ninShortcut?: CausalConv2d;

  constructor(src: WeightSource, prefix: string, cin: number, cout: number) {
    this.conv1 = new CausalConv2d(src, `${prefix}.conv1`, cin, cout, 3);
    this.conv2 = new CausalConv2d(src, `${prefix}.conv2`, cout, cout, 3);
    if (cin !== cout) this.ninShortcut = new CausalConv2d(src, `${prefix}.nin_shortcut`, cin, cout, 1);
  }

  forward(x: Tensor): Tensor {
    using n1 = pixelNorm(x, { eps: AUDIO_PIXEL_NORM_EPS });
    using a1 = silu(n1);
    using h1 = this.conv1.forward(a1);
    using n2 = pixelNorm(h1, { eps: AUDIO_PIXEL_NORM_EPS });
    using a2 = silu(n2);
    using h2 = this.conv2.forward(a2);
    if (!this.ninShortcut) return x.add(h2);
    using skip = this.ninShortcut.forward(x);
    return skip.add(h2);
  }

  [Symbol.dispose](): void {
    this.conv1[Symbol.dispose]();
    this.conv2[Symbol.dispose]();
    this.ninShortcut?.[Symbol.dispose]();
  }
}

/** Downsample (HEIGHT): F.pad (freq 0 left / 1 right, time 2 front / 0 back), then a plain 3×3 stride-2 conv. */
export class Downsample implements Disposable {
  readonly w: ConvWeights;
  constructor(src: WeightSource, prefix: string, channels: number) {
    this.w = loadConv(src, `${prefix}.conv`, [channels, channels, 3, 3], channels);
  }

  forward(x: Tensor): Tensor {
    using t = padZeros(x, 2, 2, 0);
    using tf = padZeros(t, 3, 0, 1);
    return conv2d(tf, this.w.weight, { bias: this.w.bias, stride: 2 });
  }

  [Symbol.dispose](): void {
    disposeConv(this.w);
  }
}

/** Nearest-neighbour ×2 on the last two dims of [B, C, H, W] (F.interpolate(scale_factor=2, mode="nearest")). */
export function nearest2x(x: Tensor): Tensor {
  const [b, c, h, w] = x.shape as [number, number, number, number];
  using col = reshape(x, [b, c, h, w, 1]);
  using cols = concat([col, col], 4);
  using row = reshape(cols, [b, c, h, 1, 2 * w]);
  using rows = concat([row, row], 3);
  return reshape(rows, [b, c, 2 * h, 2 * w]);
}

/** Upsample (HEIGHT): nearest ×2, causal conv, then drop the first time step (length 2T−1). */
export class Upsample implements Disposable {
  readonly conv: CausalConv2d;
  constructor(src: WeightSource, prefix: string, channels: number) {
    this.conv = new CausalConv2d(src, `${prefix}.conv`, channels, channels, 3);
  }

  forward(x: Tensor): Tensor {
    using up = nearest2x(x);
    using y = this.conv.forward(up);
    const t = y.shape[2]!;
    // A narrow along a non-leading dim is a strided copy, so the result owns its memory.
    return narrow(y, 2, 1, t - 1);
  }

  [Symbol.dispose](): void {
    this.conv[Symbol.dispose]();
  }
}
