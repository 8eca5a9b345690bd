// FeedForward (feed_forward.py): net.0.proj Linear(D, 4D) -> GELU(tanh) -> net.2 Linear(4D, D); the GELU and
// the gated residual add run as GEMM epilogues (no extra pass over the 4D-wide activation).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { applyLinear, disposeLinear, type LinearWeights, loadLinear } from "./weights.js";

export const FF_MULT = 4;

export class FeedForward {
  readonly proj: LinearWeights;
  readonly out: LinearWeights;

  constructor(src: WeightSource, prefix: string, dim: number, bias: boolean) {
    this.proj = loadLinear(src, `${prefix}.net.0.proj`, dim, FF_MULT * dim, bias);
    this.out = loadLinear(src, `${prefix}.net.2`, FF_MULT * dim, dim, bias);
  }

  /** residual + gate ⊙ FF(x) (no gate: residual + FF(x)) */
  forward(x: Tensor, gate: Tensor | undefined, residual: Tensor): Tensor {
    using h = applyLinear(x, this.proj, { activation: "gelu_tanh" });
    return applyLinear(h, this.out, gate ? { gate, residual } : { residual });
  }

  dispose(): void {
    disposeLinear(this.proj);
    disposeLinear(this.out);
  }
}
