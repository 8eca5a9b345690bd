// Tiny LTX-2 checkpoints in the exact upstream layout (keys, `__metadata__.config`, model_version) with seeded
// random weights: what the tests load, written in well under a second.
import { writeSafetensors, type TensorEntry } from "../../../checkpoint/safetensorsWriter.js";
import { AiprodError } from "../../../native/errors.js";
import type { DType } from "../../../runtime/dtype.js";
import { Tensor } from "../../../runtime/tensor.js";
import { parseConnectorConfig } from "../text/embeddingsConnector.js";
import { parseTransformerConfig, upstreamConfigProblems } from "../transformer/config.js";
import { ltx2TextAndTransformerLayout } from "./layout.js";
import { randomValues } from "./randomWeights.js";

/** config.transformer of a tiny model: the 19B schema (same keys and fixed values), tiny widths. */
export const TINY_TRANSFORMER_CONFIG = {
  // The keys upstream's configurator checks (UPSTREAM_REQUIRED), as the released 19B file carries them.
  dropout: 0,
  num_vector_embeds: null,
  num_embeds_ada_norm: 1000,
  use_linear_projection: false,
  only_cross_attention: false,
  cross_attention_norm: true,
  double_self_attention: false,
  upcast_attention: false,
  norm_elementwise_affine: false,
  use_audio_video_cross_attention: true,
  share_ff: false,
  av_cross_ada_norm: true,
  num_layers: 2,
  num_attention_heads: 2,
  attention_head_dim: 8,
  in_channels: 128,
  out_channels: 128,
  cross_attention_dim: 16,
  audio_num_attention_heads: 2,
  audio_attention_head_dim: 4,
  audio_in_channels: 128,
  audio_out_channels: 128,
  audio_cross_attention_dim: 8,
  caption_channels: 16,
  norm_eps: 1e-6,
  attention_bias: true,
  activation_fn: "gelu-approximate",
  qk_norm: "rms_norm",
  standardization_norm: "rms_norm",
  positional_embedding_type: "rope",
  rope_type: "split",
  positional_embedding_theta: 10000,
  positional_embedding_max_pos: [20, 2048, 2048],
  audio_positional_embedding_max_pos: [20],
  frequencies_precision: "float64",
  use_middle_indices_grid: true,
  timestep_scale_multiplier: 1000,
  av_ca_timestep_scale_multiplier: 1000,
  apply_gated_attention: false,
  cross_attention_adaln: false,
  connector_num_attention_heads: 2,
  connector_attention_head_dim: 8,
  connector_num_layers: 1,
  connector_positional_embedding_max_pos: [4096],
} as const;

/** Hidden states the tiny text side expects (embeddings + layers of a tiny Gemma). */
export const TINY_TEXT_LAYERS = 3;

export interface TinyCheckpointOptions {
  seed?: number;
  dtype?: DType;
  /** Extra components (VAE, audio VAE, vocoder) merged into the same file, with their config sub-dicts. */
  extra?: { entries: Map<string, TensorEntry>; config: Record<string, unknown> }[];
  transformer?: Record<string, unknown>;
  /** Written into config.transformer after the layout is built: for files with deliberately bad configs. */
  metadataOverrides?: Record<string, unknown>;
  modelVersion?: string;
}

/** Writes a tiny LTX-2 checkpoint to `path`; returns the config written. */
export function writeTinyLtx2Checkpoint(path: string, opts: TinyCheckpointOptions = {}): Record<string, unknown> {
  const seed = opts.seed ?? 0;
  const dtype = opts.dtype ?? "bf16";
  const transformer = { ...TINY_TRANSFORMER_CONFIG, ...opts.transformer };
  const config: Record<string, unknown> = { transformer };
  for (const e of opts.extra ?? []) Object.assign(config, e.config);
  const c = parseTransformerConfig(config);
  // What the engine writes must load in upstream too (deliberately bad files go through metadataOverrides).
  const problems = upstreamConfigProblems(transformer);
  if (problems.length) throw new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.ltx2: this tiny checkpoint would not load in upstream LTX-2: ${problems.join("; ")}`);
  const layout = ltx2TextAndTransformerLayout(c, { video: parseConnectorConfig(transformer, false), audio: parseConnectorConfig(transformer, true) }, TINY_TEXT_LAYERS);
  const entries = new Map<string, TensorEntry>();
  const owned: Tensor[] = [];
  try {
    for (const [key, spec] of layout) {
      const values = randomValues(spec, seed, key);
      if (dtype === "f32") {
        entries.set(key, { dtype, shape: spec.shape, data: values });
      } else {
        const t = Tensor.from(values, spec.shape, dtype);
        owned.push(t);
        entries.set(key, { dtype, shape: spec.shape, data: t });
      }
    }
    for (const e of opts.extra ?? []) for (const [k, v] of e.entries) entries.set(k, v);
    const written = opts.metadataOverrides ? { ...config, transformer: { ...transformer, ...opts.metadataOverrides } } : config;
    writeSafetensors(path, entries, {
      config: JSON.stringify(written),
      ...(opts.modelVersion ? { model_version: opts.modelVersion } : {}),
    });
  } finally {
    for (const t of owned) t.dispose();
  }
  return config;
}

/** The LTX-2.3 deltas on the tiny config: gated attention, cross-attention AdaLN, projection before the connector. */
export const TINY_TRANSFORMER_CONFIG_2_3 = {
  ...TINY_TRANSFORMER_CONFIG,
  apply_gated_attention: true,
  cross_attention_adaln: true,
  caption_proj_before_connector: true,
  caption_projection_first_linear: false,
  caption_proj_input_norm: false,
  caption_projection_second_linear: false,
  connector_apply_gated_attention: true,
  audio_connector_num_attention_heads: 2,
  audio_connector_attention_head_dim: 4,
} as const;
