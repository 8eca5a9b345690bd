// Every tensor of an LTX-2 (19B family) transformer checkpoint, by its upstream key and shape, derived from
// the config: the tiny-checkpoint generator writes exactly these, and random-weight mode serves them.
import type { TransformerConfig } from "../transformer/config.js";
import { audioInnerDim, videoInnerDim } from "../transformer/config.js";
import type { ConnectorConfig } from "../text/embeddingsConnector.js";

export const TRANSFORMER_PREFIX = "model.diffusion_model.";
export const TEXT_PROJECTION_PREFIX = "text_embedding_projection.";

export interface TensorSpec {
  shape: number[];
  /** How to initialize random weights: a fan-in scaled matrix, a bias, a norm weight, a modulation table. */
  kind: "matrix" | "bias" | "norm" | "table";
}

export type Layout = Map<string, TensorSpec>;

function linear(l: Layout, key: string, inF: number, outF: number, bias = true): void {
  l.set(`${key}.weight`, { shape: [outF, inF], kind: "matrix" });
  if (bias) l.set(`${key}.bias`, { shape: [outF], kind: "bias" });
}

function adaln(l: Layout, key: string, dim: number, coef: number): void {
  linear(l, `${key}.emb.timestep_embedder.linear_1`, 256, dim);
  linear(l, `${key}.emb.timestep_embedder.linear_2`, dim, dim);
  linear(l, `${key}.linear`, dim, coef * dim);
}

function attention(l: Layout, key: string, queryDim: number, contextDim: number, inner: number, gatedHeads = 0): void {
  if (gatedHeads) linear(l, `${key}.to_gate_logits`, queryDim, gatedHeads);
  linear(l, `${key}.to_q`, queryDim, inner);
  linear(l, `${key}.to_k`, contextDim, inner);
  linear(l, `${key}.to_v`, contextDim, inner);
  linear(l, `${key}.to_out.0`, inner, queryDim);
  l.set(`${key}.q_norm.weight`, { shape: [inner], kind: "norm" });
  l.set(`${key}.k_norm.weight`, { shape: [inner], kind: "norm" });
}

function feedForward(l: Layout, key: string, dim: number, bias: boolean): void {
  linear(l, `${key}.net.0.proj`, dim, 4 * dim, bias);
  linear(l, `${key}.net.2`, 4 * dim, dim, bias);
}

/** One block's keys (without the model prefix). */
export function blockLayout(c: TransformerConfig, i: number, l: Layout = new Map()): Layout {
  const p = `transformer_blocks.${i}`;
  const dv = videoInnerDim(c), da = audioInnerDim(c);
  const gv = c.gatedAttention ? c.heads : 0, ga = c.gatedAttention ? c.audioHeads : 0;
  attention(l, `${p}.attn1`, dv, dv, dv, gv);
  attention(l, `${p}.attn2`, dv, c.crossAttentionDim, dv, gv);
  attention(l, `${p}.audio_attn1`, da, da, da, ga);
  attention(l, `${p}.audio_attn2`, da, c.audioCrossAttentionDim, da, ga);
  attention(l, `${p}.audio_to_video_attn`, dv, da, da, ga);
  attention(l, `${p}.video_to_audio_attn`, da, dv, da, ga);
  feedForward(l, `${p}.ff`, dv, c.ffBias);
  feedForward(l, `${p}.audio_ff`, da, c.audioFfBias);
  const rows = c.crossAttentionAdaln ? 9 : 6;
  l.set(`${p}.scale_shift_table`, { shape: [rows, dv], kind: "table" });
  l.set(`${p}.audio_scale_shift_table`, { shape: [rows, da], kind: "table" });
  if (c.crossAttentionAdaln) {
    l.set(`${p}.prompt_scale_shift_table`, { shape: [2, dv], kind: "table" });
    l.set(`${p}.audio_prompt_scale_shift_table`, { shape: [2, da], kind: "table" });
  }
  l.set(`${p}.scale_shift_table_a2v_ca_video`, { shape: [5, dv], kind: "table" });
  l.set(`${p}.scale_shift_table_a2v_ca_audio`, { shape: [5, da], kind: "table" });
  return l;
}

/** The transformer's keys without the model prefix (blocks `layers`, default all). */
export function transformerLayout(c: TransformerConfig, layers?: readonly number[]): Layout {
  const l: Layout = new Map();
  const dv = videoInnerDim(c), da = audioInnerDim(c);
  for (const [p, dim, inC, outC] of [["", dv, c.inChannels, c.outChannels], ["audio_", da, c.audioInChannels, c.audioOutChannels]] as const) {
    linear(l, `${p}patchify_proj`, inC, dim);
    adaln(l, `${p}adaln_single`, dim, c.crossAttentionAdaln ? 9 : 6);
    if (!c.captionProjBeforeConnector) {
      linear(l, `${p}caption_projection.linear_1`, c.captionChannels, dim);
      linear(l, `${p}caption_projection.linear_2`, dim, dim);
    }
    if (c.crossAttentionAdaln && c.usePromptAdalnSingle) adaln(l, `${p}prompt_adaln_single`, dim, 2);
    l.set(`${p}scale_shift_table`, { shape: [2, dim], kind: "table" });
    linear(l, `${p}proj_out`, dim, outC);
  }
  adaln(l, "av_ca_video_scale_shift_adaln_single", dv, 4);
  adaln(l, "av_ca_audio_scale_shift_adaln_single", da, 4);
  adaln(l, "av_ca_a2v_gate_adaln_single", dv, 1);
  adaln(l, "av_ca_v2a_gate_adaln_single", da, 1);
  for (const i of layers ?? Array.from({ length: c.numLayers }, (_, k) => k)) blockLayout(c, i, l);
  return l;
}

/** One text connector's keys (without its `…_embeddings_connector.` prefix). */
export function connectorLayout(c: ConnectorConfig): Layout {
  const l: Layout = new Map();
  const dim = c.heads * c.headDim;
  l.set("learnable_registers", { shape: [c.registers, dim], kind: "table" });
  for (let i = 0; i < c.layers; i++) {
    attention(l, `transformer_1d_blocks.${i}.attn1`, dim, dim, dim, c.gated ? c.heads : 0);
    feedForward(l, `transformer_1d_blocks.${i}.ff`, dim, c.ffBias);
  }
  return l;
}

/** Everything in the file for the transformer and text side, with full keys. */
export function ltx2TextAndTransformerLayout(c: TransformerConfig, connectors: { video: ConnectorConfig; audio: ConnectorConfig }, textLayers: number): Layout {
  const l: Layout = new Map();
  for (const [k, v] of transformerLayout(c)) l.set(TRANSFORMER_PREFIX + k, v);
  for (const [name, cc] of [["video", connectors.video], ["audio", connectors.audio]] as const) {
    for (const [k, v] of connectorLayout(cc)) l.set(`${TRANSFORMER_PREFIX}${name}_embeddings_connector.${k}`, v);
  }
  if (c.captionProjBeforeConnector) {
    // Feature extractor V2 (2.3): one aggregate embedding per stream, to that stream's connector width.
    for (const [name, cc] of [["video", connectors.video], ["audio", connectors.audio]] as const) {
      linear(l, `${TEXT_PROJECTION_PREFIX}${name}_aggregate_embed`, c.captionChannels * textLayers, cc.heads * cc.headDim);
    }
  } else {
    l.set(`${TEXT_PROJECTION_PREFIX}aggregate_embed.weight`, { shape: [c.captionChannels, c.captionChannels * textLayers], kind: "matrix" });
  }
  return l;
}
