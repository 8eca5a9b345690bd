// Gemma 3 self-attention: grouped-query heads, RMSNorm(1+w) on each query and key head before RoPE, scores
// scaled by query_pre_attn_scalar^-0.5, sliding-window or global masking by layer. Keys and values can be
// appended to a cache (already rotated), so decoding one token reuses the prefix.
import type { WeightSource } from "../../checkpoint/safetensors.js";
import { attention } from "../../runtime/attention.js";
import { linear } from "../../runtime/linear.js";
import { rmsNorm } from "../../runtime/norm.js";
import { ropeSplit } from "../../runtime/rope.js";
import { concat, permute, reshape } from "../../runtime/shape.js";
import type { Tensor } from "../../runtime/tensor.js";
import type { Gemma3Config } from "./config.js";
import type { RopeTables } from "./rope.js";
import { checkedWeight, gemmaNormWeight } from "./weights.js";

/** One layer's cached keys and values, [B, Hkv, Tpast, headDim] f32 each. */
export interface LayerKV {
  k: Tensor;
  v: Tensor;
}

export class Gemma3Attention {
  readonly q: Tensor;
  readonly k: Tensor;
  readonly v: Tensor;
  readonly o: Tensor;
  readonly qNorm: Tensor;
  readonly kNorm: Tensor;
  readonly scale: number;

  constructor(w: WeightSource, readonly c: Gemma3Config) {
    const { hiddenSize: D, numHeads: H, numKvHeads: Hkv, headDim: hd } = c;
    this.q = checkedWeight(w, "q_proj.weight", [H * hd, D]);
    this.k = checkedWeight(w, "k_proj.weight", [Hkv * hd, D]);
    this.v = checkedWeight(w, "v_proj.weight", [Hkv * hd, D]);
    this.o = checkedWeight(w, "o_proj.weight", [D, H * hd]);
    this.qNorm = gemmaNormWeight(w, "q_norm.weight", hd);
    this.kNorm = gemmaNormWeight(w, "k_norm.weight", hd);
    this.scale = c.queryPreAttnScalar ** -0.5;
  }

  /** [B, T, heads·hd] → [B, heads, T, hd], normalized per head and rotated. */
  #heads(x: Tensor, weight: Tensor, heads: number, norm: Tensor | null, rope: RopeTables | null): Tensor {
    const [B, T] = x.shape as [number, number];
    using p = linear(x, weight);
    using r = reshape(p, [B, T, heads, this.c.headDim]);
    using n = norm ? rmsNorm(r, { weight: norm, eps: this.c.rmsNormEps }) : null;
    const t = permute(n ?? r, [0, 2, 1, 3]);
    if (!rope) return t;
    try {
      return ropeSplit(t, rope.cos, rope.sin);
    } finally {
      t.dispose();
    }
  }

  /**
   * x [B, T, D] (the normed residual stream); bias f32 [B, 1, T, Tpast+T]. With `past`, the new keys/values are
   * appended to it. Returns the projected output f32 [B, T, D] and the full keys/values (owned by the caller).
   */
  forward(x: Tensor, rope: RopeTables, bias: Tensor, past?: LayerKV): { out: Tensor; kv: LayerKV } {
    const { numHeads: H, numKvHeads: Hkv, headDim: hd } = this.c;
    const [B, T] = x.shape as [number, number];
    using q = this.#heads(x, this.q, H, this.qNorm, rope);
    const kNew = this.#heads(x, this.k, Hkv, this.kNorm, rope);
    const vNew = this.#heads(x, this.v, Hkv, null, null);
    let kv: LayerKV = { k: kNew, v: vNew };
    if (past) {
      kv = { k: concat([past.k, kNew], 2), v: concat([past.v, vNew], 2) };
      kNew.dispose();
      vNew.dispose();
    }
    using a = attention(q, kv.k, kv.v, { scale: this.scale, bias });
    using a2 = permute(a, [0, 2, 1, 3]);
    using a3 = reshape(a2, [B, T, H * hd]);
    return { out: linear(a3, this.o), kv };
  }
}
