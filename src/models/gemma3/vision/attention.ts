// SiglipAttention: full bidirectional multi-head attention, q/k/v/out projections with bias, scores scaled
// by head_dim^-0.5.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { attention } from "../../../runtime/attention.js";
import { linear } from "../../../runtime/linear.js";
import { permute, reshape } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { checkedWeight } from "../weights.js";
import type { SiglipVisionConfig } from "./config.js";
import { f32Weight } from "./weights.js";

interface Projection {
  weight: Tensor;
  bias: Tensor;
}

function projection(w: WeightSource, name: string, size: number): Projection {
  return { weight: checkedWeight(w, `${name}.weight`, [size, size]), bias: f32Weight(w, `${name}.bias`, [size]) };
}

export class SiglipAttention {
  readonly q: Projection;
  readonly k: Projection;
  readonly v: Projection;
  readonly out: Projection;

  constructor(w: WeightSource, readonly c: SiglipVisionConfig) {
    const C = c.hiddenSize;
    this.q = projection(w, "q_proj", C);
    this.k = projection(w, "k_proj", C);
    this.v = projection(w, "v_proj", C);
    this.out = projection(w, "out_proj", C);
  }

  #heads(x: Tensor, p: Projection): Tensor {
    const [B, P] = x.shape as [number, number];
    using y = linear(x, p.weight, { bias: p.bias });
    using r = reshape(y, [B, P, this.c.numHeads, this.c.headDim]);
    return permute(r, [0, 2, 1, 3]);
  }

  /** x f32 [B, P, C] (normed) → f32 [B, P, C]. */
  forward(x: Tensor): Tensor {
    const [B, P] = x.shape as [number, number];
    using q = this.#heads(x, this.q);
    using k = this.#heads(x, this.k);
    using v = this.#heads(x, this.v);
    using a = attention(q, k, v, { scale: this.c.headDim ** -0.5 });
    using a2 = permute(a, [0, 2, 1, 3]);
    using a3 = reshape(a2, [B, P, this.c.hiddenSize]);
    return linear(a3, this.out.weight, { bias: this.out.bias });
  }
}
