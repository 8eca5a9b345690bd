// LTX-2.0 HiFi-GAN vocoder (upstream `vocoder.py::Vocoder` with resblock "1", `resnet.py::ResBlock1`):
// stereo log-mel [B, 2, T, 64] → waveform [B, 2, T·∏rates] in f32 (upstream runs it in fp32 too).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { leakyRelu, tanh } from "../../../runtime/activation.js";
import { conv1d, conv2d, convTranspose1d } from "../../../runtime/conv.js";
import { affine, narrow, reshape, transpose } from "../../../runtime/shape.js";
import { Tensor } from "../../../runtime/tensor.js";
import { padZeros } from "./audioVaeLayers.js";
import type { VocoderConfig } from "./config.js";
import { type ConvWeights, disposeConv, loadConv } from "./weights.js";

/** LeakyReLU slope inside the HiFi-GAN stages (`LRELU_SLOPE`). */
export const VOCODER_LRELU_SLOPE = 0.1;
/** `act_post = nn.LeakyReLU()`: PyTorch's default slope, not LRELU_SLOPE. */
export const VOCODER_POST_SLOPE = 0.01;
/** conv_pre's input: 2 stereo channels × 64 mel bins, fixed upstream. */
export const VOCODER_IN_CHANNELS = 128;

/**
 * Conv1d with padding="same" (odd kernel k, dilation d): out[t] = b + Σ_j w[j]·x[t + (j − (k−1)/2)·d].
 * The native conv has no dilation, so a dilated conv runs as a 2D conv over the input folded into rows of d
 * samples: sample j·d + r sits at row j, column r, and a kernel [k, 1] with row padding (k−1)/2 visits exactly
 * x[t + (j − (k−1)/2)·d]. The tail is zero-filled to whole rows and cut off after.
 */
export function conv1dSame(x: Tensor, w: ConvWeights, dilation: number): Tensor {
  const [cout, cin, k] = w.weight.shape as [number, number, number];
  const half = (k - 1) / 2;
  if (dilation === 1) return conv1d(x, w.weight, { bias: w.bias, padding: half });
  const [b, , len] = x.shape as [number, number, number];
  const rows = Math.ceil(len / dilation);
  using padded = padZeros(x, 2, 0, rows * dilation - len);
  using folded = reshape(padded, [b, cin, rows, dilation]);
  using w2 = reshape(w.weight, [cout, cin, k, 1]);
  using y = conv2d(folded, w2, { bias: w.bias, padding: [half, 0] });
  using flat = reshape(y, [b, cout, rows * dilation]);
  return narrow(flat, 2, 0, len);
}

/** ResBlock1: three times x += conv2(lrelu(conv1_d(lrelu(x)))) with dilations d and then 1. */
export class ResBlock1 implements Disposable {
  readonly convs1: ConvWeights[] = [];
  readonly convs2: ConvWeights[] = [];

  constructor(src: WeightSource, prefix: string, channels: number, readonly kernel: number, readonly dilations: readonly number[]) {
    for (let j = 0; j < dilations.length; j++) {
      this.convs1.push(loadConv(src, `${prefix}.convs1.${j}`, [channels, channels, kernel], channels));
      this.convs2.push(loadConv(src, `${prefix}.convs2.${j}`, [channels, channels, kernel], channels));
    }
  }

  forward(x: Tensor): Tensor {
    let h = reshape(x, x.shape);
    for (let j = 0; j < this.dilations.length; j++) {
      using a1 = leakyRelu(h, VOCODER_LRELU_SLOPE);
      using c1 = conv1dSame(a1, this.convs1[j]!, this.dilations[j]!);
      using a2 = leakyRelu(c1, VOCODER_LRELU_SLOPE);
      using c2 = conv1dSame(a2, this.convs2[j]!, 1);
      const next = c2.add(h);
      h.dispose();
      h = next;
    }
    return h;
  }

  [Symbol.dispose](): void {
    for (const c of [...this.convs1, ...this.convs2]) disposeConv(c);
  }
}

/** One upsampling stage: lrelu(0.1) → ConvTranspose1d(stride u, padding (k−u)/2) → mean of the MRF blocks. */
export class UpsampleStage implements Disposable {
  readonly up: ConvWeights;
  readonly blocks: ResBlock1[] = [];

  constructor(src: WeightSource, index: number, cin: number, readonly rate: number, readonly kernel: number, config: VocoderConfig) {
    const cout = cin / 2;
    this.up = loadConv(src, `ups.${index}`, [cin, cout, kernel], cout);
    const nk = config.resblockKernelSizes.length;
    config.resblockKernelSizes.forEach((k, j) => {
      this.blocks.push(new ResBlock1(src, `resblocks.${index * nk + j}`, cout, k, config.resblockDilationSizes[j]!));
    });
  }

  forward(x: Tensor): Tensor {
    using a = leakyRelu(x, VOCODER_LRELU_SLOPE);
    using u = convTranspose1d(a, this.up.weight, { bias: this.up.bias, stride: this.rate, padding: Math.floor((this.kernel - this.rate) / 2) });
    let sum: Tensor | undefined;
    for (const b of this.blocks) {
      const y = b.forward(u);
      if (!sum) sum = y;
      else {
        const s = sum.add(y);
        sum.dispose();
        y.dispose();
        sum = s;
      }
    }
    using total = sum!;
    return affine(total, 1 / this.blocks.length);
  }

  [Symbol.dispose](): void {
    disposeConv(this.up);
    for (const b of this.blocks) b[Symbol.dispose]();
  }
}

export class Vocoder implements Disposable {
  readonly convPre: ConvWeights;
  readonly stages: UpsampleStage[] = [];
  readonly convPost: ConvWeights;
  /** Output samples per mel frame: ∏ upsample_rates (240 → 24 kHz from 100 mel frames/s). */
  readonly hopLength: number;

  constructor(checkpoint: WeightSource, readonly config: VocoderConfig) {
    const src = checkpoint.view("vocoder.");
    const c0 = config.upsampleInitialChannel;
    this.convPre = loadConv(src, "conv_pre", [c0, VOCODER_IN_CHANNELS, 7], c0);
    let c = c0;
    config.upsampleRates.forEach((rate, i) => {
      this.stages.push(new UpsampleStage(src, i, c, rate, config.upsampleKernelSizes[i]!, config));
      c /= 2;
    });
    this.convPost = loadConv(src, "conv_post", [2, c, 7], config.useBiasAtFinal ? 2 : null);
    this.hopLength = config.upsampleRates.reduce((a, r) => a * r, 1);
  }

  get sampleRate(): number {
    return this.config.outputSamplingRate;
  }

  /** Samples produced from `melFrames` frames (exact when every kernel − rate is even, as released). */
  outputLength(melFrames: number): number {
    return this.config.upsampleRates.reduce((len, u, i) => {
      const k = this.config.upsampleKernelSizes[i]!;
      return (len - 1) * u - 2 * Math.floor((k - u) / 2) + k;
    }, melFrames);
  }

  /** Progress points forward() reports through its onStep callback (one per upsampling stage). */
  get progressSteps(): number {
    return this.stages.length;
  }

  /** mel [B, 2, T, 64] (f32 or bf16) → waveform [B, 2, samples] f32 in [−1, 1]; onStep(i) after stage i. */
  forward(mel: Tensor, onStep?: (i: number) => void): Tensor {
    const s = mel.shape;
    if (s.length !== 4 || s[1] !== 2 || s[3] !== VOCODER_IN_CHANNELS / 2 || s[2]! < 1) {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.audio.Vocoder.forward: mel must be [B, 2, T, ${VOCODER_IN_CHANNELS / 2}], got [${s.join(",")}]`);
    }
    const [b, , t] = s as [number, number, number, number];
    using f = mel.dtype === "f32" ? reshape(mel, s) : mel.cast("f32");
    // (b, s, t, c) → (b, s, c, t) → "b s c t -> b (s c) t": channel index s·64 + mel.
    using tr = transpose(f, 2, 3);
    using x0 = reshape(tr, [b, VOCODER_IN_CHANNELS, t]);
    let h = conv1d(x0, this.convPre.weight, { bias: this.convPre.bias, padding: 3 });
    for (const [i, stage] of this.stages.entries()) {
      const next = stage.forward(h);
      h.dispose();
      h = next;
      onStep?.(i + 1);
    }
    using last = h;
    using act = leakyRelu(last, VOCODER_POST_SLOPE);
    using post = conv1d(act, this.convPost.weight, { ...(this.convPost.bias ? { bias: this.convPost.bias } : {}), padding: 3 });
    return this.config.useTanhAtFinal ? tanh(post) : mapValues(post, (v) => Math.min(1, Math.max(-1, v)));
  }

  [Symbol.dispose](): void {
    disposeConv(this.convPre);
    for (const st of this.stages) st[Symbol.dispose]();
    disposeConv(this.convPost);
  }
}

/** Elementwise function on an f32 tensor (the clamp without tanh; the output is only [B, 2, N]). */
function mapValues(x: Tensor, fn: (v: number) => number): Tensor {
  const v = x.read() as Float32Array;
  for (let i = 0; i < v.length; i++) v[i] = fn(v[i]!);
  return Tensor.from(v, x.shape, "f32");
}
