// Attention (attention.py): to_q/to_k/to_v with bias, q/k RMSNorm with learned weights over the whole inner
// dim (before the head split), split RoPE (pe for q, k_pe for k; A<->V attentions align on seconds), flash
// attention with scale 1/√d, to_out.0. STG's value pass-through skips q/k entirely and feeds to_out with v.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { attention } from "../../../runtime/attention.js";
import { rmsNorm } from "../../../runtime/norm.js";
import { ropeSplit } from "../../../runtime/rope.js";
import { sigmoid } from "../../../runtime/activation.js";
import { affine, mulBroadcast, permute, reshape } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { applyLinear, disposeLinear, type LinearWeights, loadLinear, param } from "./weights.js";

export interface RopeTable {
  cos: Tensor;
  sin: Tensor;
}

export interface AttentionCall {
  /** Key/value input; the query input when absent (self-attention). */
  context?: Tensor;
  pe?: RopeTable;
  /** RoPE for the keys when it differs from pe. */
  kPe?: RopeTable;
  /** Additive bias [1|B, 1|H, Nq, Nk]. */
  mask?: Tensor;
  /** STG: the output is to_out(v), the value pass-through. */
  valuePassThrough?: boolean;
  /** Epilogue of to_out: residual + gate ⊙ out (gate output-shaped). */
  gate?: Tensor;
  residual?: Tensor;
}

export class Attention {
  readonly toQ: LinearWeights;
  readonly toK: LinearWeights;
  readonly toV: LinearWeights;
  readonly toOut: LinearWeights;
  readonly qNorm: Tensor;
  readonly kNorm: Tensor;
  /** 2.3: to_gate_logits, Linear(query_dim → heads). */
  readonly toGateLogits?: LinearWeights;
  readonly inner: number;

  constructor(src: WeightSource, prefix: string, queryDim: number, contextDim: number, readonly heads: number,
    readonly headDim: number, readonly eps: number, gated = false) {
    this.inner = heads * headDim;
    this.toQ = loadLinear(src, `${prefix}.to_q`, queryDim, this.inner);
    this.toK = loadLinear(src, `${prefix}.to_k`, contextDim, this.inner);
    this.toV = loadLinear(src, `${prefix}.to_v`, contextDim, this.inner);
    this.toOut = loadLinear(src, `${prefix}.to_out.0`, this.inner, queryDim);
    this.qNorm = param(src, `${prefix}.q_norm.weight`, [this.inner]);
    this.kNorm = param(src, `${prefix}.k_norm.weight`, [this.inner]);
    if (gated) this.toGateLogits = loadLinear(src, `${prefix}.to_gate_logits`, queryDim, heads);
  }

  /** out [B,T,inner] with head h scaled by 2σ(to_gate_logits(x))_h (gated attention, also on the STG pass-through). */
  #gate(x: Tensor, out: Tensor): Tensor {
    const [b, t] = out.shape as [number, number];
    using logits = applyLinear(x, this.toGateLogits!);
    using s = sigmoid(logits);
    using g = affine(s, 2);
    using g4 = reshape(g, [b, t, this.heads, 1]);
    using o4 = reshape(out, [b, t, this.heads, this.headDim]);
    using gated = mulBroadcast(o4, g4);
    return reshape(gated, [b, t, this.inner]);
  }

  #out(x: Tensor, out: Tensor, epilogue: { gate?: Tensor; residual?: Tensor }): Tensor {
    if (!this.toGateLogits) return applyLinear(out, this.toOut, epilogue);
    using gated = this.#gate(x, out);
    return applyLinear(gated, this.toOut, epilogue);
  }

  /** [B,T,inner] -> [B,H,T,d] */
  #heads(x: Tensor): Tensor {
    const [b, t] = x.shape as [number, number];
    using v = reshape(x, [b, t, this.heads, this.headDim]);
    return permute(v, [0, 2, 1, 3]);
  }

  #project(x: Tensor, w: LinearWeights, norm: Tensor, pe: RopeTable | undefined): Tensor {
    using y = applyLinear(x, w);
    using n = rmsNorm(y, { weight: norm, eps: this.eps });
    const h = this.#heads(n);
    if (!pe) return h;
    try {
      return ropeSplit(h, pe.cos, pe.sin);
    } finally {
      h.dispose();
    }
  }

  /**
   * A bf16 checkpoint computes attention in bf16 (upstream runs SDPA on bf16 q/k/v); with f32 weights everything
   * stays f32. On CPUs with AVX512_BF16 the bf16 path is also the fast one.
   */
  get #bf16(): boolean {
    return this.toQ.weight.dtype !== "f32";
  }

  #compute(t: Tensor): Tensor {
    if (!this.#bf16) return t;
    try {
      return t.cast("bf16");
    } finally {
      t.dispose();
    }
  }

  forward(x: Tensor, call: AttentionCall = {}): Tensor {
    const context = call.context ?? x;
    const epilogue = { ...(call.gate ? { gate: call.gate } : {}), ...(call.residual ? { residual: call.residual } : {}) };
    using v = applyLinear(context, this.toV);
    if (call.valuePassThrough) return this.#out(x, v, epilogue);
    using q = this.#compute(this.#project(x, this.toQ, this.qNorm, call.pe));
    using k = this.#compute(this.#project(context, this.toK, this.kNorm, call.kPe ?? call.pe));
    using vh = this.#compute(this.#heads(v));
    using o = attention(q, k, vh, call.mask ? { bias: call.mask } : {});
    using ot = permute(o, [0, 2, 1, 3]);
    const [b, t] = x.shape as [number, number];
    using flat = reshape(ot, [b, t, this.inner]);
    return this.#out(x, flat, epilogue);
  }

  dispose(): void {
    for (const l of [this.toQ, this.toK, this.toV, this.toOut]) disposeLinear(l);
    if (this.toGateLogits) disposeLinear(this.toGateLogits);
    this.qNorm.dispose();
    this.kNorm.dispose();
  }
}
