// One Gemma 3 decoder layer (sandwich norms): h += post_attn_norm(attn(input_norm(h))), then
// h += post_ff_norm(mlp(pre_ff_norm(h))). The residual stream stays f32 (bf16 weights, f32 accumulation).
import type { WeightSource } from "../../checkpoint/safetensors.js";
import { rmsNorm } from "../../runtime/norm.js";
import { add } from "../../runtime/ops.js";
import type { Tensor } from "../../runtime/tensor.js";
import { Gemma3Attention, type LayerKV } from "./attention.js";
import type { Gemma3Config, LayerType } from "./config.js";
import { Gemma3MLP } from "./mlp.js";
import type { RopeTables } from "./rope.js";
import { gemmaNormWeight } from "./weights.js";

export class Gemma3DecoderLayer {
  readonly attn: Gemma3Attention;
  readonly mlp: Gemma3MLP;
  readonly inputNorm: Tensor;
  readonly postAttnNorm: Tensor;
  readonly preFfNorm: Tensor;
  readonly postFfNorm: Tensor;

  constructor(w: WeightSource, readonly c: Gemma3Config, readonly type: LayerType) {
    this.attn = new Gemma3Attention(w.view("self_attn."), c);
    this.mlp = new Gemma3MLP(w.view("mlp."), c);
    this.inputNorm = gemmaNormWeight(w, "input_layernorm.weight", c.hiddenSize);
    this.postAttnNorm = gemmaNormWeight(w, "post_attention_layernorm.weight", c.hiddenSize);
    this.preFfNorm = gemmaNormWeight(w, "pre_feedforward_layernorm.weight", c.hiddenSize);
    this.postFfNorm = gemmaNormWeight(w, "post_feedforward_layernorm.weight", c.hiddenSize);
  }

  get sliding(): boolean {
    return this.type === "sliding_attention";
  }

  /** h [B, T, D] f32 → the layer's output f32 [B, T, D] and its keys/values (past ones included). */
  forward(h: Tensor, rope: RopeTables, bias: Tensor, past?: LayerKV): { out: Tensor; kv: LayerKV } {
    const eps = this.c.rmsNormEps;
    using n1 = rmsNorm(h, { weight: this.inputNorm, eps });
    const { out: a, kv } = this.attn.forward(n1, rope, bias, past);
    using a1 = a;
    using a2 = rmsNorm(a1, { weight: this.postAttnNorm, eps });
    using h1 = add(h, a2);
    using n2 = rmsNorm(h1, { weight: this.preFfNorm, eps });
    using m = this.mlp.forward(n2);
    using m2 = rmsNorm(m, { weight: this.postFfNorm, eps });
    return { out: add(h1, m2), kv };
  }
}
