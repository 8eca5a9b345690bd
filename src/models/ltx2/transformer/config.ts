// LTX-2 transformer configuration from a checkpoint's `__metadata__.config.transformer`, with upstream's
// defaults (model_configurator.py) and its fixed-value checks: a value the engine does not implement is an
// error naming the key, never a silently different model.
import { AiprodError } from "../../../native/errors.js";

export interface TransformerConfig {
  numLayers: number;
  /** Video stream: heads × headDim = inner dim. */
  heads: number;
  headDim: number;
  inChannels: number;
  outChannels: number;
  crossAttentionDim: number;
  audioHeads: number;
  audioHeadDim: number;
  audioInChannels: number;
  audioOutChannels: number;
  audioCrossAttentionDim: number;
  /** Text feature width entering the caption projections (3840 = Gemma-3-12B hidden). */
  captionChannels: number;
  /** 19B: the caption projection lives in the transformer; 2.3: before the connector (not here). */
  captionProjBeforeConnector: boolean;
  /** 2.3: per-head output gates 2σ(to_gate_logits(x)) in every attention. */
  gatedAttention: boolean;
  /** 2.3: text cross-attention modulated by AdaLN rows 6-8 and the prompt tables (9-row scale_shift_table). */
  crossAttentionAdaln: boolean;
  /** 2.3: the K/V modulation follows σ through prompt_adaln_single (false: the tables alone). */
  usePromptAdalnSingle: boolean;
  normEps: number;
  ropeTheta: number;
  maxPos: number[];
  audioMaxPos: number[];
  timestepScaleMultiplier: number;
  avCaTimestepScaleMultiplier: number;
  ffBias: boolean;
  audioFfBias: boolean;
}

function bad(key: string, problem: string): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.ltx2: config.transformer.${key} ${problem}`);
}

function read<T>(c: Record<string, unknown>, key: string, fallback: T, check: (v: unknown) => boolean, want: string): T {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (!check(v)) throw bad(key, `is ${JSON.stringify(v)}; expected ${want}`);
  return v as T;
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const posNum = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0;
const bool = (v: unknown) => typeof v === "boolean";
const posList = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every(posNum);

/**
 * The keys upstream's LTXModelConfigurator.from_metadata checks with check_config_value, and the values it
 * requires. A key that is absent reads as None there and is refused (only num_vector_embeds wants None), so a
 * file the engine writes must carry every one of them to load in upstream.
 */
export const UPSTREAM_REQUIRED: Readonly<Record<string, unknown>> = {
  dropout: 0, attention_bias: true, num_vector_embeds: null, activation_fn: "gelu-approximate", num_embeds_ada_norm: 1000,
  use_linear_projection: false, only_cross_attention: false, cross_attention_norm: true, double_self_attention: false,
  upcast_attention: false, standardization_norm: "rms_norm", norm_elementwise_affine: false, qk_norm: "rms_norm",
  positional_embedding_type: "rope", use_audio_video_cross_attention: true, share_ff: false, av_cross_ada_norm: true,
  use_middle_indices_grid: true,
};

/** Values upstream pins (above) plus the RoPE variant this engine implements: anything else is a different architecture. */
const FIXED: Record<string, unknown> = { ...UPSTREAM_REQUIRED, rope_type: "split" };
delete FIXED.num_vector_embeds;

/**
 * What upstream's configurator would refuse in a `config.transformer` object: one line per key (missing or with
 * another value), plus its head-count check. Empty when upstream loads it.
 */
export function upstreamConfigProblems(transformer: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, want] of Object.entries(UPSTREAM_REQUIRED)) {
    const got = transformer[key] === undefined ? null : transformer[key];
    if (got !== want) problems.push(`config.transformer.${key} is ${got === null && want !== null ? "missing" : JSON.stringify(got)}; upstream requires ${JSON.stringify(want)}`);
  }
  if (transformer.num_attention_heads !== transformer.audio_num_attention_heads) {
    problems.push(`config.transformer.num_attention_heads (${String(transformer.num_attention_heads)}) must equal audio_num_attention_heads (${String(transformer.audio_num_attention_heads)}) for upstream`);
  }
  return problems;
}

/** Features of later releases that this engine does not run yet: refused by name rather than run wrongly. */
const UNSUPPORTED: Record<string, unknown> = { use_keyframes_abs_pos_embedding: true };

/** The text-side layout of 2.3 (feature extractor V2): all four keys with exactly these values, or none. */
export const V2_TEXT_CONFIG: Record<string, unknown> = {
  caption_proj_before_connector: true, caption_projection_first_linear: false, caption_proj_input_norm: false,
  caption_projection_second_linear: false,
};

export function parseTransformerConfig(config: Record<string, unknown> | undefined): TransformerConfig {
  const c = config?.transformer;
  if (typeof c !== "object" || c === null || Array.isArray(c)) {
    throw new AiprodError("ERR_AIPROD_BAD_CONFIG", "aiprod.ltx2: the checkpoint's __metadata__.config has no 'transformer' object");
  }
  const t = c as Record<string, unknown>;
  for (const [key, want] of Object.entries(FIXED)) {
    if (t[key] !== undefined && t[key] !== null && t[key] !== want) throw bad(key, `is ${JSON.stringify(t[key])}; this engine implements ${JSON.stringify(want)}`);
  }
  for (const [key, value] of Object.entries(UNSUPPORTED)) {
    if (t[key] === value) throw bad(key, `is ${JSON.stringify(value)} (an LTX-2.5 feature); this engine runs LTX-2.0 and 2.3 transformers`);
  }
  if (t.num_vector_embeds !== undefined && t.num_vector_embeds !== null) throw bad("num_vector_embeds", "must be null");
  const v2Keys = Object.keys(V2_TEXT_CONFIG).filter((k) => t[k] !== undefined);
  if (v2Keys.length && v2Keys.length !== 4) {
    throw bad(Object.keys(V2_TEXT_CONFIG).find((k) => t[k] === undefined)!, "is missing (a partial LTX-2.3 text-projection config)");
  }
  for (const k of v2Keys) if (t[k] !== V2_TEXT_CONFIG[k]) throw bad(k, `is ${JSON.stringify(t[k])}; expected ${JSON.stringify(V2_TEXT_CONFIG[k])}`);
  const precision = t.frequencies_precision;
  if (precision !== undefined && precision !== "float64" && precision !== false && precision !== "float32") {
    throw bad("frequencies_precision", `is ${JSON.stringify(precision)}; expected "float64" or "float32"`);
  }
  const cfg: TransformerConfig = {
    numLayers: read(t, "num_layers", 48, posInt, "a positive integer"),
    heads: read(t, "num_attention_heads", 32, posInt, "a positive integer"),
    headDim: read(t, "attention_head_dim", 128, posInt, "a positive integer"),
    inChannels: read(t, "in_channels", 128, posInt, "a positive integer"),
    outChannels: read(t, "out_channels", 128, posInt, "a positive integer"),
    crossAttentionDim: read(t, "cross_attention_dim", 4096, posInt, "a positive integer"),
    audioHeads: read(t, "audio_num_attention_heads", 32, posInt, "a positive integer"),
    audioHeadDim: read(t, "audio_attention_head_dim", 64, posInt, "a positive integer"),
    audioInChannels: read(t, "audio_in_channels", 128, posInt, "a positive integer"),
    audioOutChannels: read(t, "audio_out_channels", 128, posInt, "a positive integer"),
    audioCrossAttentionDim: read(t, "audio_cross_attention_dim", 2048, posInt, "a positive integer"),
    captionChannels: read(t, "caption_channels", 3840, posInt, "a positive integer"),
    captionProjBeforeConnector: v2Keys.length === 4,
    gatedAttention: read(t, "apply_gated_attention", false, bool, "a boolean"),
    crossAttentionAdaln: read(t, "cross_attention_adaln", false, bool, "a boolean"),
    usePromptAdalnSingle: read(t, "use_prompt_adaln_single", true, bool, "a boolean"),
    normEps: read(t, "norm_eps", 1e-6, posNum, "a positive number"),
    ropeTheta: read(t, "positional_embedding_theta", 10000, posNum, "a positive number"),
    maxPos: read(t, "positional_embedding_max_pos", [20, 2048, 2048], posList, "a list of positive numbers"),
    audioMaxPos: read(t, "audio_positional_embedding_max_pos", [20], posList, "a list of positive numbers"),
    timestepScaleMultiplier: read(t, "timestep_scale_multiplier", 1000, posNum, "a positive number"),
    avCaTimestepScaleMultiplier: read(t, "av_ca_timestep_scale_multiplier", 1, posNum, "a positive number"),
    ffBias: read(t, "ff_bias", true, bool, "a boolean"),
    audioFfBias: read(t, "audio_ff_bias", true, bool, "a boolean"),
  };
  // Upstream requires equal head counts for the two streams (the A<->V attentions use the query stream's heads).
  if (cfg.captionProjBeforeConnector && (cfg.crossAttentionDim !== cfg.heads * cfg.headDim || cfg.audioCrossAttentionDim !== cfg.audioHeads * cfg.audioHeadDim)) {
    throw bad("cross_attention_dim", "and audio_cross_attention_dim must equal the streams' widths when the caption projection is before the connector");
  }
  if (cfg.heads !== cfg.audioHeads) throw bad("num_attention_heads", `(${cfg.heads}) must equal audio_num_attention_heads (${cfg.audioHeads})`);
  if (cfg.maxPos.length !== 3) throw bad("positional_embedding_max_pos", `has ${cfg.maxPos.length} entries; video positions have 3 axes (t, h, w)`);
  if (cfg.audioMaxPos.length !== 1) throw bad("audio_positional_embedding_max_pos", `has ${cfg.audioMaxPos.length} entries; audio positions have 1 axis`);
  if (cfg.headDim % 2 || cfg.audioHeadDim % 2) throw bad("attention_head_dim", "and audio_attention_head_dim must be even (RoPE pairs)");
  if (cfg.audioCrossAttentionDim % (2 * cfg.heads)) throw bad("audio_cross_attention_dim", `(${cfg.audioCrossAttentionDim}) must be a multiple of 2·heads`);
  return cfg;
}

export const videoInnerDim = (c: TransformerConfig): number => c.heads * c.headDim;
export const audioInnerDim = (c: TransformerConfig): number => c.audioHeads * c.audioHeadDim;
