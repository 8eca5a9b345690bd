// Gemma 3 text configuration: read from a Hugging Face config.json (flat Gemma3TextConfig, or the multimodal
// Gemma3Config with the language model under `text_config`) and validated, so a malformed folder fails at load
// with the field named instead of producing wrong numbers later.
import { AiprodError } from "../../native/errors.js";

export type LayerType = "sliding_attention" | "full_attention";

export interface Gemma3Config {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  /** Attention scores are scaled by queryPreAttnScalar^-0.5 (not headDim^-0.5). */
  queryPreAttnScalar: number;
  slidingWindow: number;
  layerTypes: LayerType[];
  /** RoPE base of the global (full-attention) layers. */
  ropeTheta: number;
  /** RoPE base of the local (sliding-window) layers. */
  ropeLocalBaseFreq: number;
  /** Linear position scaling of the global layers (rope_scaling {rope_type: "linear", factor}); 1 = none. */
  ropeLinearFactor: number;
  padTokenId: number;
  bosTokenId: number;
  eosTokenIds: number[];
  tieWordEmbeddings: boolean;
}

function bad(field: string, why: string): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.gemma3: config field '${field}' ${why}`);
}

function int(c: Record<string, unknown>, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) throw bad(key, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function num(c: Record<string, unknown>, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw bad(key, `must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

function tokenId(c: Record<string, unknown>, key: string, fallback: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw bad(key, `must be a token id, got ${JSON.stringify(v)}`);
  return v;
}

function layerTypesOf(c: Record<string, unknown>, numLayers: number): LayerType[] {
  if (c.layer_types !== undefined) {
    const lt = c.layer_types;
    if (!Array.isArray(lt) || lt.length !== numLayers || !lt.every((x) => x === "sliding_attention" || x === "full_attention")) {
      throw bad("layer_types", `must list ${numLayers} entries of "sliding_attention" / "full_attention"`);
    }
    return lt as LayerType[];
  }
  // Older configs: every `sliding_window_pattern`-th layer (1-based) is global, the others local (HF's rule).
  const pattern = int(c, "sliding_window_pattern", 6);
  return Array.from({ length: numLayers }, (_, i) => ((i + 1) % pattern === 0 ? "full_attention" : "sliding_attention"));
}

function linearFactor(c: Record<string, unknown>): number {
  const rs = c.rope_scaling;
  if (rs === undefined || rs === null) return 1;
  if (typeof rs !== "object") throw bad("rope_scaling", "must be an object or null");
  const r = rs as Record<string, unknown>;
  const type = r.rope_type ?? r.type;
  if (type === "default") return 1;
  if (type !== "linear") throw bad("rope_scaling", `has rope_type ${JSON.stringify(type)}; only "linear" (Gemma 3) is supported`);
  return num(r, "factor");
}

/**
 * RoPE bases and the global layers' linear factor. transformers ≤ 4.x writes rope_theta, rope_local_base_freq and
 * rope_scaling; later versions write rope_parameters per layer type ({full_attention: {rope_type, rope_theta,
 * factor}, sliding_attention: {...}}). Local layers are never scaled (HF builds their rotary embedding unscaled).
 */
function ropeOf(c: Record<string, unknown>): { ropeTheta: number; ropeLocalBaseFreq: number; ropeLinearFactor: number } {
  const rp = c.rope_parameters;
  if (rp !== undefined && rp !== null) {
    if (typeof rp !== "object") throw bad("rope_parameters", "must be an object");
    const r = rp as Record<string, unknown>;
    const full = r.full_attention, local = r.sliding_attention;
    if (typeof full !== "object" || full === null || typeof local !== "object" || local === null) {
      throw bad("rope_parameters", "must have full_attention and sliding_attention entries");
    }
    const f = full as Record<string, unknown>, l = local as Record<string, unknown>;
    if ((l.rope_type ?? "default") !== "default") throw bad("rope_parameters.sliding_attention.rope_type", `is ${JSON.stringify(l.rope_type)}; expected "default"`);
    return { ropeTheta: num(f, "rope_theta"), ropeLocalBaseFreq: num(l, "rope_theta"), ropeLinearFactor: linearFactor({ rope_scaling: f }) };
  }
  return { ropeTheta: num(c, "rope_theta", 1_000_000), ropeLocalBaseFreq: num(c, "rope_local_base_freq", 10_000), ropeLinearFactor: linearFactor(c) };
}

/** The text config of a parsed config.json (multimodal configs nest it under `text_config`). */
export function parseGemma3Config(json: unknown): Gemma3Config {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw bad("(root)", "must be a JSON object");
  const root = json as Record<string, unknown>;
  const nested = root.text_config;
  if (nested !== undefined && (typeof nested !== "object" || nested === null)) throw bad("text_config", "must be an object");
  const c = (nested ?? root) as Record<string, unknown>;
  const modelType = c.model_type;
  if (modelType !== undefined && modelType !== "gemma3_text" && modelType !== "gemma3") {
    throw bad("model_type", `is ${JSON.stringify(modelType)}; expected "gemma3_text"`);
  }
  const act = c.hidden_activation ?? c.hidden_act ?? "gelu_pytorch_tanh";
  if (act !== "gelu_pytorch_tanh") throw bad("hidden_activation", `is ${JSON.stringify(act)}; Gemma 3 uses "gelu_pytorch_tanh"`);
  for (const k of ["attn_logit_softcapping", "final_logit_softcapping"]) {
    if (c[k] !== undefined && c[k] !== null) throw bad(k, "is set; Gemma 3 has no soft-capping and it is not implemented");
  }
  if (c.attention_bias === true) throw bad("attention_bias", "is true; Gemma 3 projections have no bias");
  const numLayers = int(c, "num_hidden_layers");
  const numHeads = int(c, "num_attention_heads");
  const numKvHeads = int(c, "num_key_value_heads");
  if (numHeads % numKvHeads !== 0) throw bad("num_key_value_heads", `(${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  const headDim = int(c, "head_dim");
  if (headDim % 2 !== 0) throw bad("head_dim", "must be even (RoPE pairs halves)");
  // Token ids: the text config of the multimodal checkpoints leaves them to the root or to the defaults.
  const ids = { ...root, ...c };
  const eos = ids.eos_token_id ?? 1;
  const eosTokenIds = Array.isArray(eos) ? eos : [eos];
  if (!eosTokenIds.every((e) => Number.isSafeInteger(e) && (e as number) >= 0)) throw bad("eos_token_id", "must be a token id or a list of them");
  return {
    vocabSize: int(c, "vocab_size"),
    hiddenSize: int(c, "hidden_size"),
    intermediateSize: int(c, "intermediate_size"),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: num(c, "rms_norm_eps", 1e-6),
    queryPreAttnScalar: num(c, "query_pre_attn_scalar", headDim),
    slidingWindow: int(c, "sliding_window", 4096),
    layerTypes: layerTypesOf(c, numLayers),
    ...ropeOf(c),
    padTokenId: tokenId(ids, "pad_token_id", 0),
    bosTokenId: tokenId(ids, "bos_token_id", 2),
    eosTokenIds: eosTokenIds as number[],
    tieWordEmbeddings: (c.tie_word_embeddings ?? root.tie_word_embeddings ?? true) !== false,
  };
}
