// SiglipMLP: fc2(gelu_tanh(fc1(x))), both with bias; the activation is fused into the fc1 GEMM.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { linear } from "../../../runtime/linear.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { checkedWeight } from "../weights.js";
import type { SiglipVisionConfig } from "./config.js";
import { f32Weight } from "./weights.js";

export class SiglipMLP {
  readonly fc1: Tensor;
  readonly fc1Bias: Tensor;
  readonly fc2: Tensor;
  readonly fc2Bias: Tensor;

  constructor(w: WeightSource, c: SiglipVisionConfig) {
    const { hiddenSize: C, intermediateSize: I } = c;
    this.fc1 = checkedWeight(w, "fc1.weight", [I, C]);
    this.fc1Bias = f32Weight(w, "fc1.bias", [I]);
    this.fc2 = checkedWeight(w, "fc2.weight", [C, I]);
    this.fc2Bias = f32Weight(w, "fc2.bias", [C]);
  }

  forward(x: Tensor): Tensor {
    using h = linear(x, this.fc1, { bias: this.fc1Bias, activation: "gelu_tanh" });
    return linear(h, this.fc2, { bias: this.fc2Bias });
  }
}
