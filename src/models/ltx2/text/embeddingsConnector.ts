// Embeddings1DConnector (embeddings_connector.py) with the right-pad reorder of embeddings_processor.py: valid
// tokens move to the front (stable), padded positions become learnable registers (position p gets register
// p mod R), then N blocks of x += attn1(rms(x)) and x += ff(rms(x)) with 1-D split RoPE over positions 0..S−1
// (no midpoints), no mask, and a final rms.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { rmsNorm } from "../../../runtime/norm.js";
import { Tensor } from "../../../runtime/tensor.js";
import { Attention } from "../transformer/attention.js";
import { FeedForward } from "../transformer/feedForward.js";
import { activationDtype, ropeTables } from "../transformer/rope.js";
import { param } from "../transformer/weights.js";

export interface ConnectorConfig {
  heads: number;
  headDim: number;
  layers: number;
  maxPos: number[];
  theta: number;
  registers: number;
  ffBias: boolean;
  /** 2.3: gated attention in the connector blocks. */
  gated: boolean;
}

export function parseConnectorConfig(transformer: Record<string, unknown>, audio: boolean): ConnectorConfig {
  const get = (key: string, fallback: unknown) => {
    const audioKey = audio ? `audio_${key}` : undefined;
    return (audioKey && transformer[audioKey] !== undefined ? transformer[audioKey] : transformer[key]) ?? fallback;
  };
  const cfg: ConnectorConfig = {
    heads: get("connector_num_attention_heads", 30) as number,
    headDim: get("connector_attention_head_dim", 128) as number,
    layers: get("connector_num_layers", 2) as number,
    maxPos: transformer.connector_positional_embedding_max_pos as number[] ?? [1],
    theta: (transformer.positional_embedding_theta as number) ?? 10000,
    registers: 128,
    ffBias: (transformer.connector_ff_bias as boolean) ?? true,
    gated: (transformer.connector_apply_gated_attention as boolean) ?? false,
  };
  for (const [k, v] of Object.entries({ connector_num_attention_heads: cfg.heads, connector_attention_head_dim: cfg.headDim, connector_num_layers: cfg.layers })) {
    if (!Number.isInteger(v) || v <= 0) throw new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.ltx2: config.transformer.${audio ? "audio_" : ""}${k} is ${JSON.stringify(v)}; expected a positive integer`);
  }
  if (!Array.isArray(cfg.maxPos) || cfg.maxPos.length !== 1) throw new AiprodError("ERR_AIPROD_BAD_CONFIG", "aiprod.ltx2: config.transformer.connector_positional_embedding_max_pos must be a one-entry list");
  return cfg;
}

/** Valid-first stable reorder of [B, T, D] rows, registers in the padded slots. */
export function reorderWithRegisters(features: Float32Array, mask: Uint8Array, batch: number, tokens: number, dim: number, registers: Float32Array, registerCount: number): Float32Array {
  const out = new Float32Array(features.length);
  for (let b = 0; b < batch; b++) {
    let next = 0;
    for (let t = 0; t < tokens; t++) {
      if (!mask[b * tokens + t]) continue;
      out.set(features.subarray((b * tokens + t) * dim, (b * tokens + t + 1) * dim), (b * tokens + next) * dim);
      next++;
    }
    for (let p = next; p < tokens; p++) {
      const r = p % registerCount;
      out.set(registers.subarray(r * dim, (r + 1) * dim), (b * tokens + p) * dim);
    }
  }
  return out;
}

export class Embeddings1DConnector {
  readonly registers: Tensor;
  readonly blocks: { attn1: Attention; ff: FeedForward }[];
  readonly dim: number;

  /** `src` holds the connector's keys (e.g. the `model.diffusion_model.video_embeddings_connector.` view). */
  constructor(src: WeightSource, readonly config: ConnectorConfig) {
    this.dim = config.heads * config.headDim;
    this.registers = param(src, "learnable_registers", [config.registers, this.dim]);
    this.blocks = Array.from({ length: config.layers }, (_, i) => ({
      attn1: new Attention(src, `transformer_1d_blocks.${i}.attn1`, this.dim, this.dim, config.heads, config.headDim, 1e-6, config.gated),
      ff: new FeedForward(src, `transformer_1d_blocks.${i}.ff`, this.dim, config.ffBias),
    }));
  }

  /** features [B, T, D] (D = heads·headDim), mask 1 = valid token. Returns [B, T, D]. */
  forward(features: Tensor, mask: Uint8Array): Tensor {
    const [b, t, d] = features.shape as [number, number, number];
    if (d !== this.dim || mask.length !== b * t) {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.connector: features [${features.shape}] with a ${mask.length}-entry mask; expected [B, T, ${this.dim}] and B·T entries`);
    }
    if (t % this.config.registers !== 0) {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.connector: ${t} tokens is not a multiple of the ${this.config.registers} registers`);
    }
    const reordered = reorderWithRegisters(features.toFloat32(), mask, b, t, d, this.registers.toFloat32(), this.config.registers);
    let x = Tensor.from(reordered, [b, t, d]);
    const positions = new Float32Array(b * t * 2);
    for (let s = 0; s < b; s++) for (let i = 0; i < t; i++) positions.set([i, i], (s * t + i) * 2);
    // Upstream: out_dtype=hidden_states.dtype, i.e. the checkpoint's dtype (bf16 tables for bf16 files, f32 for f32).
    const pe = ropeTables({ data: positions, batch: b, dims: 1, tokens: t }, this.config.maxPos, this.config.theta, this.dim, this.config.heads, activationDtype(this.registers.dtype));
    try {
      for (const block of this.blocks) {
        using n1 = rmsNorm(x, { eps: 1e-6 });
        const x1 = block.attn1.forward(n1, { pe, residual: x });
        x.dispose();
        using n2 = rmsNorm(x1, { eps: 1e-6 });
        x = block.ff.forward(n2, undefined, x1);
        x1.dispose();
      }
      return rmsNorm(x, { eps: 1e-6 });
    } finally {
      x.dispose();
      pe.cos.dispose();
      pe.sin.dispose();
    }
  }

  dispose(): void {
    this.registers.dispose();
    for (const b of this.blocks) {
      b.attn1.dispose();
      b.ff.dispose();
    }
  }
}
