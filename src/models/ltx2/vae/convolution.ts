// upstream video_vae/convolution.py CausalConv3d: a k×k×k Conv3d with spatial padding k//2 (zeros, reflect or
// replicate) and time padded by repeating frames — causal: k−1 copies of frame 0 in front; non-causal: (k−1)/2
// copies of the first frame in front and of the last behind. Keys `<prefix>conv.weight`, `<prefix>conv.bias`.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { conv3d, type PadMode } from "../../../runtime/conv.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { f32Param } from "../weights.js";

export class CausalConv3d implements Disposable {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(
    source: WeightSource, prefix: string, readonly inChannels: number, readonly outChannels: number,
    readonly spatialPaddingMode: PadMode, readonly stride: readonly [number, number, number] = [1, 1, 1], readonly kernelSize = 3,
  ) {
    const k = kernelSize;
    this.weight = f32Param(source, `${prefix}conv.weight`, [outChannels, inChannels, k, k, k]);
    try {
      this.bias = f32Param(source, `${prefix}conv.bias`, [outChannels]);
    } catch (e) {
      this.weight.dispose();
      throw e;
    }
  }

  forward(x: Tensor, causal = true): Tensor {
    const half = Math.floor(this.kernelSize / 2);
    const opts = { bias: this.bias, stride: [...this.stride], padMode: this.spatialPaddingMode };
    // Native causal: time padded in front with k−1 copies of frame 0; otherwise symmetric replicate on time.
    return causal
      ? conv3d(x, this.weight, { ...opts, padding: [0, half, half], causal: true })
      : conv3d(x, this.weight, { ...opts, padding: [half, half, half], temporalPadMode: "replicate" });
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
