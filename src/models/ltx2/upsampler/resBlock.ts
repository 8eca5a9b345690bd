// upstream upsampler/res_block.py ResBlock (3-D): conv1 → GroupNorm(32) → SiLU → conv2 → GroupNorm(32) →
// SiLU(x + residual); k3 Conv3d with zero padding 1 on every axis (not causal).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { silu } from "../../../runtime/activation.js";
import { conv3d } from "../../../runtime/conv.js";
import { groupNorm } from "../../../runtime/norm.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { f32Param } from "../weights.js";

/** A PyTorch Conv3d(k3, padding 1) with its bias: keys `<prefix>weight`, `<prefix>bias`. */
export class Conv3dK3 implements Disposable {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(source: WeightSource, prefix: string, cin: number, cout: number, kernel: readonly number[] = [3, 3, 3]) {
    this.weight = f32Param(source, `${prefix}weight`, [cout, cin, ...kernel]);
    try {
      this.bias = f32Param(source, `${prefix}bias`, [cout]);
    } catch (e) {
      this.weight.dispose();
      throw e;
    }
  }

  forward(x: Tensor): Tensor {
    return conv3d(x, this.weight, { bias: this.bias, padding: 1 });
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** torch.nn.GroupNorm(32, C) (eps 1e-5, affine): keys `<prefix>weight`, `<prefix>bias`. */
export class GroupNorm32 implements Disposable {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(source: WeightSource, prefix: string, channels: number) {
    this.weight = f32Param(source, `${prefix}weight`, [channels]);
    try {
      this.bias = f32Param(source, `${prefix}bias`, [channels]);
    } catch (e) {
      this.weight.dispose();
      throw e;
    }
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, 32, { weight: this.weight, bias: this.bias, eps: 1e-5 });
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export class ResBlock implements Disposable {
  readonly #parts: Disposable[] = [];
  readonly conv1: Conv3dK3;
  readonly norm1: GroupNorm32;
  readonly conv2: Conv3dK3;
  readonly norm2: GroupNorm32;

  constructor(source: WeightSource, prefix: string, channels: number) {
    const own = <T extends Disposable>(m: T): T => (this.#parts.push(m), m);
    try {
      this.conv1 = own(new Conv3dK3(source, `${prefix}conv1.`, channels, channels));
      this.norm1 = own(new GroupNorm32(source, `${prefix}norm1.`, channels));
      this.conv2 = own(new Conv3dK3(source, `${prefix}conv2.`, channels, channels));
      this.norm2 = own(new GroupNorm32(source, `${prefix}norm2.`, channels));
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  forward(x: Tensor): Tensor {
    using c1 = this.conv1.forward(x);
    using n1 = this.norm1.forward(c1);
    using a1 = silu(n1);
    using c2 = this.conv2.forward(a1);
    using n2 = this.norm2.forward(c2);
    using sum = n2.add(x);
    return silu(sum);
  }

  dispose(): void {
    for (const p of this.#parts) p[Symbol.dispose]();
    this.#parts.length = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
