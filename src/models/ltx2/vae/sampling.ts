// upstream video_vae/sampling.py. SpaceToDepthDownsample (encoder compress_*_res): frame 0 duplicated in front
// when the time stride is 2, conv (stride 1, out/∏stride channels) then space-to-depth, plus a skip that is the
// space-to-depth of the input averaged over groups of in·∏stride/out channels. DepthToSpaceUpsample (decoder
// compress_*): conv to ∏stride·in/r channels, depth-to-space, first frame dropped when the time stride is 2, plus
// (residual) the depth-to-space of the input repeated ∏stride/r times over channels, also without its first frame.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { mean } from "../../../runtime/activation.js";
import type { PadMode } from "../../../runtime/conv.js";
import { depthToSpace3d, type Factors3, spaceToDepth3d } from "../../../runtime/layout.js";
import { concat, narrow, permute, reshape } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { CausalConv3d } from "./convolution.js";

const prod = (s: Factors3) => s[0] * s[1] * s[2];

/** x without its first frame (dim 2). */
export function dropFirstFrame(x: Tensor): Tensor {
  return narrow(x, 2, 1, x.shape[2]! - 1);
}

export class SpaceToDepthDownsample implements Disposable {
  readonly conv: CausalConv3d;
  readonly groupSize: number;

  constructor(source: WeightSource, prefix: string, readonly inChannels: number, readonly outChannels: number,
    readonly stride: Factors3, padMode: PadMode) {
    this.groupSize = (inChannels * prod(stride)) / outChannels;
    this.conv = new CausalConv3d(source, `${prefix}conv.`, inChannels, outChannels / prod(stride), padMode);
  }

  forward(input: Tensor, causal = true): Tensor {
    let x = input;
    if (this.stride[0] === 2) {
      using first = narrow(input, 2, 0, 1);
      x = concat([first, input], 2);
    }
    try {
      using skip = this.#skip(x);
      using c = this.conv.forward(x, causal);
      using s = spaceToDepth3d(c, this.stride);
      return s.add(skip);
    } finally {
      if (x !== input) x.dispose();
    }
  }

  /** "b (c g) d h w -> b c g d h w" of the space-to-depth input, mean over g. */
  #skip(x: Tensor): Tensor {
    using s2d = spaceToDepth3d(x, this.stride);
    const [b, , d, h, w] = s2d.shape as [number, number, number, number, number];
    if (this.groupSize === 1) return reshape(s2d, s2d.shape); // a view, owned by the caller
    using grouped = reshape(s2d, [b, this.outChannels, this.groupSize, d * h * w]);
    using last = permute(grouped, [0, 1, 3, 2]);
    using m = mean(last);
    return reshape(m, [b, this.outChannels, d, h, w]);
  }

  dispose(): void {
    this.conv.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export class DepthToSpaceUpsample implements Disposable {
  readonly conv: CausalConv3d;

  constructor(source: WeightSource, prefix: string, readonly inChannels: number, readonly stride: Factors3,
    readonly residual: boolean, readonly reduction: number, padMode: PadMode) {
    this.conv = new CausalConv3d(source, `${prefix}conv.`, inChannels, (prod(stride) * inChannels) / reduction, padMode);
  }

  get outChannels(): number {
    return this.inChannels / this.reduction;
  }

  forward(x: Tensor, causal = true): Tensor {
    using c = this.conv.forward(x, causal);
    using d2s = depthToSpace3d(c, this.stride);
    using main = this.stride[0] === 2 ? dropFirstFrame(d2s) : undefined;
    const y = main ?? d2s;
    if (!this.residual) return reshape(y, y.shape); // a view that outlives the `using` handles
    using skip = this.#skip(x);
    return y.add(skip);
  }

  #skip(x: Tensor): Tensor {
    using d2s = depthToSpace3d(x, this.stride);
    const repeats = prod(this.stride) / this.reduction;
    using rep = repeats === 1 ? undefined : concat(Array.from({ length: repeats }, () => d2s), 1);
    const full = rep ?? d2s;
    return this.stride[0] === 2 ? dropFirstFrame(full) : reshape(full, full.shape);
  }

  dispose(): void {
    this.conv.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
