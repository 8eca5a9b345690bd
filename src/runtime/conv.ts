// Convolutions (f32, channels-first), one native op behind conv3d/conv2d/conv1d; see native/include/aiprod/conv.h.
import type { NativeConvOptions, NativePadMode } from "../native/bindingTypes.js";
import { loadBinding } from "../native/loadBinding.js";
import { pick } from "./device.js";
import { nativeOf, Tensor } from "./tensor.js";

export type PadMode = NativePadMode;

export interface ConvOptions {
  /** [Cout] */
  bias?: Tensor;
  /** One number for every axis, or one per axis. Default 1. */
  stride?: number | number[];
  /** Symmetric padding, one number or one per axis. Default 0. */
  padding?: number | number[];
  /** How padding is filled: zeros (default), reflect (PyTorch 'reflect') or replicate. */
  padMode?: PadMode;
}

export interface Conv3dOptions extends ConvOptions {
  /** Padding mode of the time axis when it differs from padMode (LTX-2 non-causal convs: 'replicate'). */
  temporalPadMode?: PadMode;
  /** LTX-2 CausalConv3d: time padded in front with kt-1 copies of the first frame, nothing behind. */
  causal?: boolean;
}

function nativeOptions(op: string, opts: Conv3dOptions): NativeConvOptions {
  const { bias, ...rest } = opts;
  return { ...rest, ...(bias ? { bias: nativeOf(bias, op, "bias") } : {}) };
}

/** x [B, Cin, T, H, W], weight [Cout, Cin, kt, kh, kw] -> [B, Cout, T', H', W'] */
export function conv3d(x: Tensor, weight: Tensor, opts: Conv3dOptions = {}): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("conv3d", { x, weight, bias: opts.bias }, b.conv3d, b.cudaConv3d)(nativeOf(x, "conv3d", "x"), nativeOf(weight, "conv3d", "weight"), nativeOptions("conv3d", opts)));
}

/** x [B, Cin, H, W], weight [Cout, Cin, kh, kw] -> [B, Cout, H', W'] */
export function conv2d(x: Tensor, weight: Tensor, opts: ConvOptions = {}): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("conv2d", { x, weight, bias: opts.bias }, b.conv2d, b.cudaConv2d)(nativeOf(x, "conv2d", "x"), nativeOf(weight, "conv2d", "weight"), nativeOptions("conv2d", opts)));
}

/** x [B, Cin, L], weight [Cout, Cin, k] -> [B, Cout, L'] */
export function conv1d(x: Tensor, weight: Tensor, opts: ConvOptions = {}): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("conv1d", { x, weight, bias: opts.bias }, b.conv1d, b.cudaConv1d)(nativeOf(x, "conv1d", "x"), nativeOf(weight, "conv1d", "weight"), nativeOptions("conv1d", opts)));
}

export interface ConvTranspose1dOptions {
  /** [Cout] */
  bias?: Tensor;
  stride?: number;
  padding?: number;
  outputPadding?: number;
  dilation?: number;
}

/**
 * PyTorch ConvTranspose1d (groups 1): x [B, Cin, L], weight [Cin, Cout, K] ->
 * [B, Cout, (L-1)·stride - 2·padding + dilation·(K-1) + outputPadding + 1]. The HiFi-GAN vocoder's upsampler.
 */
export function convTranspose1d(x: Tensor, weight: Tensor, opts: ConvTranspose1dOptions = {}): Tensor {
  const { bias, ...rest } = opts;
  const b = loadBinding();
  const fn = pick("convTranspose1d", { x, weight, bias }, b.convTranspose1d, b.cudaConvTranspose1d);
  return Tensor.fromNative(
    fn(nativeOf(x, "convTranspose1d", "x"), nativeOf(weight, "convTranspose1d", "weight"), {
      ...rest,
      ...(bias ? { bias: nativeOf(bias, "convTranspose1d", "bias") } : {}),
    }),
  );
}
