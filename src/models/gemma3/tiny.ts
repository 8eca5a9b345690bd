// Tiny Gemma 3 folders in the real Hugging Face layout (config.json with text_config, sharded safetensors with
// model.safetensors.index.json, tokenizer.json + tokenizer_config.json) with seeded random weights: what the
// tests and examples load, through exactly the code path of the 12B release folder. Multimodal layouts also get a
// tiny SigLIP vision tower + projector (vision_tower.vision_model.… / multi_modal_projector.…, under `model.` in
// the newer layout, as the language model is).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors, type TensorEntry } from "../../checkpoint/safetensorsWriter.js";
import { GaussianGenerator } from "../ltx2/components/noisers.js";
import { roundBf16 } from "../ltx2/components/precision.js";
import { tinyTokenizerFiles } from "./tinyTokenizer.js";

export type TinyLayout = "model.language_model" | "language_model.model" | "causal_lm";

export interface TinyGemmaOptions {
  /** Weight key layout: transformers ≥ 4.52 multimodal, older multimodal, or Gemma3ForCausalLM. */
  layout?: TinyLayout;
  shards?: number;
  seed?: number;
  dtype?: "bf16" | "f32";
  /** Overrides of the text config (HF field names). */
  textConfig?: Record<string, unknown>;
  /** Leave tokenizer files out (to exercise the packaged fallback). */
  withoutTokenizer?: boolean;
  /** Multimodal layouts: leave the vision weights out (config.json keeps its vision_config). */
  withoutVision?: boolean;
  /** Overrides of the vision config (HF SiglipVisionConfig field names). */
  visionConfig?: Record<string, unknown>;
  /** Default 4 (a 2×2 grid pooled from the 4×4 patches of the tiny 28-pixel image). */
  mmTokensPerImage?: number;
}

/** The tiny SigLIP config: 28-pixel images in 7-pixel patches (4×4), width 16, 2 layers of 2 heads. */
export function tinyVisionConfig(): Record<string, unknown> {
  return {
    model_type: "siglip_vision_model",
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_channels: 3,
    image_size: 28,
    patch_size: 7,
    hidden_act: "gelu_pytorch_tanh",
    layer_norm_eps: 1e-6,
    attention_dropout: 0,
    vision_use_head: false,
  };
}

/** The tiny text config: 4 layers alternating local (window 5) and global, 4 query / 2 key-value heads. */
export function tinyTextConfig(vocabSize: number): Record<string, unknown> {
  return {
    model_type: "gemma3_text",
    vocab_size: vocabSize,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 8,
    hidden_activation: "gelu_pytorch_tanh",
    rms_norm_eps: 1e-6,
    query_pre_attn_scalar: 12,
    sliding_window: 5,
    sliding_window_pattern: 2,
    rope_theta: 1000,
    rope_local_base_freq: 100,
    rope_scaling: { rope_type: "linear", factor: 2 },
    max_position_embeddings: 4096,
    attn_logit_softcapping: null,
    final_logit_softcapping: null,
    attention_bias: false,
    pad_token_id: 0,
    eos_token_id: [1, 5],
    bos_token_id: 2,
    tie_word_embeddings: true,
  };
}

/** Writes a tiny Gemma 3 folder to `dir`; returns the text config written. */
export function writeTinyGemma(dir: string, opts: TinyGemmaOptions = {}): Record<string, unknown> {
  const layout = opts.layout ?? "model.language_model";
  const dtype = opts.dtype ?? "bf16";
  const tok = tinyTokenizerFiles();
  // Like the release (262,208 rows for 262,144 tokens), the table is a little larger than the tokenizer.
  const text = { ...tinyTextConfig(Math.ceil((tok.vocabSize + 1) / 8) * 8), ...opts.textConfig };
  const D = text.hidden_size as number, I = text.intermediate_size as number, L = text.num_hidden_layers as number;
  const H = text.num_attention_heads as number, Hkv = text.num_key_value_heads as number, hd = text.head_dim as number;
  const V = text.vocab_size as number;
  const gen = new GaussianGenerator(opts.seed ?? 1234);
  const prefix = layout === "causal_lm" ? "model." : `${layout}.`;
  const entries = new Map<string, TensorEntry>();
  let rng = gen;
  const put = (key: string, shape: number[], std: number, mean = 0, root = false) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const z = rng.normal(n);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = mean + std * z[i]!;
    if (dtype === "bf16") {
      const u = new Uint32Array(v.buffer);
      const bits = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        v[i] = roundBf16(v[i]!);
        bits[i] = u[i]! >>> 16;
      }
      entries.set(root ? key : prefix + key, { dtype, shape, data: bits });
    } else {
      entries.set(root ? key : prefix + key, { dtype, shape, data: v });
    }
  };
  put("embed_tokens.weight", [V, D], 0.4);
  for (let i = 0; i < L; i++) {
    const p = `layers.${i}.`;
    put(`${p}self_attn.q_proj.weight`, [H * hd, D], D ** -0.5);
    put(`${p}self_attn.k_proj.weight`, [Hkv * hd, D], D ** -0.5);
    put(`${p}self_attn.v_proj.weight`, [Hkv * hd, D], D ** -0.5);
    put(`${p}self_attn.o_proj.weight`, [D, H * hd], (H * hd) ** -0.5);
    // Norm weights around 0 (the checkpoint stores w of 1 + w) with spread, so a missing "+1" cannot pass.
    put(`${p}self_attn.q_norm.weight`, [hd], 0.3);
    put(`${p}self_attn.k_norm.weight`, [hd], 0.3);
    put(`${p}mlp.gate_proj.weight`, [I, D], D ** -0.5);
    put(`${p}mlp.up_proj.weight`, [I, D], D ** -0.5);
    put(`${p}mlp.down_proj.weight`, [D, I], I ** -0.5);
    for (const n of ["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"]) put(`${p}${n}.weight`, [D], 0.3);
  }
  put("norm.weight", [D], 0.3);
  // An untied head sits outside the language model: `lm_head.weight` (or `language_model.lm_head.weight` in the
  // older multimodal layout).
  if (text.tie_word_embeddings === false) put(layout === "language_model.model" ? "language_model.lm_head.weight" : "lm_head.weight", [V, D], 1, 0, true);

  // The vision tower draws from its own stream, so the language weights do not depend on it.
  const multimodal = layout !== "causal_lm";
  const vision = { ...tinyVisionConfig(), ...opts.visionConfig };
  const mmTokens = opts.mmTokensPerImage ?? 4;
  if (multimodal && !opts.withoutVision) {
    rng = new GaussianGenerator((opts.seed ?? 1234) + 7919);
    const root = layout === "model.language_model" ? "model." : "";
    const C = vision.hidden_size as number, VI = vision.intermediate_size as number, p = vision.patch_size as number;
    const P = ((vision.image_size as number) / p) ** 2;
    const vm = `${root}vision_tower.vision_model.`;
    put(`${vm}embeddings.patch_embedding.weight`, [C, 3, p, p], (3 * p * p) ** -0.5, 0, true);
    put(`${vm}embeddings.patch_embedding.bias`, [C], 0.1, 0, true);
    put(`${vm}embeddings.position_embedding.weight`, [P, C], 0.5, 0, true);
    for (let i = 0; i < (vision.num_hidden_layers as number); i++) {
      const l = `${vm}encoder.layers.${i}.`;
      for (const n of ["layer_norm1", "layer_norm2"]) {
        put(`${l}${n}.weight`, [C], 0.2, 1, true);
        put(`${l}${n}.bias`, [C], 0.1, 0, true);
      }
      for (const n of ["q_proj", "k_proj", "v_proj", "out_proj"]) {
        put(`${l}self_attn.${n}.weight`, [C, C], C ** -0.5, 0, true);
        put(`${l}self_attn.${n}.bias`, [C], 0.1, 0, true);
      }
      put(`${l}mlp.fc1.weight`, [VI, C], C ** -0.5, 0, true);
      put(`${l}mlp.fc1.bias`, [VI], 0.1, 0, true);
      put(`${l}mlp.fc2.weight`, [C, VI], VI ** -0.5, 0, true);
      put(`${l}mlp.fc2.bias`, [C], 0.1, 0, true);
    }
    put(`${vm}post_layernorm.weight`, [C], 0.2, 1, true);
    put(`${vm}post_layernorm.bias`, [C], 0.1, 0, true);
    put(`${root}multi_modal_projector.mm_soft_emb_norm.weight`, [C], 0.3, 0, true);
    // x @ W: [C_vision, D_text]. Scaled like the text embeddings (std 0.4 after their sqrt(D) scale ≈ 2.3) so
    // the image tokens matter to the tiny language model.
    put(`${root}multi_modal_projector.mm_input_projection_weight`, [C, D], 2 * C ** -0.5, 0, true);
  }

  mkdirSync(dir, { recursive: true });
  const keys = [...entries.keys()];
  const shards = Math.max(1, Math.min(opts.shards ?? 2, keys.length));
  const per = Math.ceil(keys.length / shards);
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.safetensors`;
    const part = new Map(keys.slice(s * per, (s + 1) * per).map((k) => [k, entries.get(k)!]));
    for (const [k, e] of part) {
      weightMap[k] = name;
      total += e.shape.reduce((a, b) => a * b, 1) * (dtype === "bf16" ? 2 : 4);
    }
    writeSafetensors(join(dir, name), part, { format: "pt" });
  }
  writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  const config = layout === "causal_lm"
    ? { ...text, architectures: ["Gemma3ForCausalLM"] }
    : { architectures: ["Gemma3ForConditionalGeneration"], model_type: "gemma3", text_config: text, vision_config: vision,
      mm_tokens_per_image: mmTokens, image_token_index: tok.imageTokenIds.image, boi_token_index: tok.imageTokenIds.boi,
      eoi_token_index: tok.imageTokenIds.eoi, eos_token_id: [1, 5] };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2));
  if (!opts.withoutTokenizer) {
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tok.tokenizerJson));
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(tok.tokenizerConfig, null, 2));
  }
  return text;
}
