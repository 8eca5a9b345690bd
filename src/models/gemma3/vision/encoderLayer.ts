// SiglipEncoderLayer (pre-norm): x += self_attn(layer_norm1(x)); x += mlp(layer_norm2(x)).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { add } from "../../../runtime/ops.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { SiglipAttention } from "./attention.js";
import type { SiglipVisionConfig } from "./config.js";
import { affineLayerNorm } from "./layerNorm.js";
import { SiglipMLP } from "./mlp.js";
import { type LayerNormParams, layerNormParams } from "./weights.js";

export class SiglipEncoderLayer {
  readonly layerNorm1: LayerNormParams;
  readonly selfAttn: SiglipAttention;
  readonly layerNorm2: LayerNormParams;
  readonly mlp: SiglipMLP;

  constructor(w: WeightSource, readonly c: SiglipVisionConfig) {
    this.layerNorm1 = layerNormParams(w, "layer_norm1", c.hiddenSize);
    this.selfAttn = new SiglipAttention(w.view("self_attn."), c);
    this.layerNorm2 = layerNormParams(w, "layer_norm2", c.hiddenSize);
    this.mlp = new SiglipMLP(w.view("mlp."), c);
  }

  /** x f32 [B, P, C] → f32 [B, P, C]. */
  forward(x: Tensor): Tensor {
    const eps = this.c.layerNormEps;
    using n1 = affineLayerNorm(x, this.layerNorm1, eps);
    using a = this.selfAttn.forward(n1);
    using h = add(x, a);
    using n2 = affineLayerNorm(h, this.layerNorm2, eps);
    using m = this.mlp.forward(n2);
    return add(h, m);
  }
}
