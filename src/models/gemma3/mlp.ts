// Gemma's GeGLU feed-forward: down(gelu_tanh(gate(x)) ⊙ up(x)). The activation is fused into the gate GEMM.
import type { WeightSource } from "../../checkpoint/safetensors.js";
import { linear } from "../../runtime/linear.js";
import { mul } from "../../runtime/ops.js";
import type { Tensor } from "../../runtime/tensor.js";
import type { Gemma3Config } from "./config.js";
import { checkedWeight } from "./weights.js";

export class Gemma3MLP {
  readonly gate: Tensor;
  readonly up: Tensor;
  readonly down: Tensor;

  constructor(w: WeightSource, c: Gemma3Config) {
    this.gate = checkedWeight(w, "gate_proj.weight", [c.intermediateSize, c.hiddenSize]);
    this.up = checkedWeight(w, "up_proj.weight", [c.intermediateSize, c.hiddenSize]);
    this.down = checkedWeight(w, "down_proj.weight", [c.hiddenSize, c.intermediateSize]);
  }

  /** x [B, T, D] → f32 [B, T, D]. */
  forward(x: Tensor): Tensor {
    using g = linear(x, this.gate, { activation: "gelu_tanh" });
    using u = linear(x, this.up);
    using p = mul(g, u);
    return linear(p, this.down);
  }
}
