// Loading: config parsing (flat, nested text_config, layer_types vs sliding_window_pattern, the 12B release's
// values), the three weight layouts, and errors that name the bad field or key.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { parseGemma3Config } from "../../../src/models/gemma3/config.js";
import { Gemma3TextModel } from "../../../src/models/gemma3/model.js";
import { tinyTextConfig, writeTinyGemma } from "../../../src/models/gemma3/tiny.js";

const root = mkdtempSync(join(tmpdir(), "gemma3-load-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test("the 12B release config (text_config nested; values from its config.json)", async (t) => {
  const c = parseGemma3Config({
    architectures: ["Gemma3ForConditionalGeneration"], model_type: "gemma3", eos_token_id: [1, 106],
    text_config: { model_type: "gemma3_text", hidden_size: 3840, intermediate_size: 15360, num_hidden_layers: 48, num_attention_heads: 16,
      num_key_value_heads: 8, head_dim: 256, query_pre_attn_scalar: 256, sliding_window: 1024, rope_scaling: { factor: 8.0, rope_type: "linear" },
      rope_theta: 1000000, rope_local_base_freq: 10000, rms_norm_eps: 1e-6, vocab_size: 262208, sliding_window_pattern: 6 },
    vision_config: {},
  });
  t.equal(c.layerTypes.length, 48);
  t.same(c.layerTypes.flatMap((x, i) => (x === "full_attention" ? [i] : [])), [5, 11, 17, 23, 29, 35, 41, 47], "every 6th layer is global");
  t.equal(c.ropeLinearFactor, 8);
  t.same(c.eosTokenIds, [1, 106], "EOS ids from the root config");
  t.equal(c.queryPreAttnScalar, 256);
  // transformers 5 spells RoPE per layer type.
  const v5 = parseGemma3Config({ ...tinyTextConfig(64), rope_theta: undefined, rope_scaling: undefined, rope_local_base_freq: undefined,
    rope_parameters: { full_attention: { rope_type: "linear", factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: "default", rope_theta: 1e4 } } });
  t.same([v5.ropeTheta, v5.ropeLocalBaseFreq, v5.ropeLinearFactor], [1e6, 1e4, 8]);
  const lt = parseGemma3Config({ ...tinyTextConfig(64), layer_types: ["full_attention", "sliding_attention", "sliding_attention", "full_attention"] });
  t.same(lt.layerTypes, ["full_attention", "sliding_attention", "sliding_attention", "full_attention"], "layer_types wins");
});

t.test("config errors name the field", async (t) => {
  const base = tinyTextConfig(64);
  t.throws(() => parseGemma3Config({ ...base, num_key_value_heads: 3 }), /num_key_value_heads/);
  t.throws(() => parseGemma3Config({ ...base, rope_scaling: { rope_type: "yarn", factor: 2 } }), /rope_scaling/);
  t.throws(() => parseGemma3Config({ ...base, layer_types: ["full_attention"] }), /layer_types/);
  t.throws(() => parseGemma3Config({ ...base, hidden_size: 0 }), /hidden_size/);
  t.throws(() => parseGemma3Config({ ...base, final_logit_softcapping: 30 }), /final_logit_softcapping/);
  t.throws(() => parseGemma3Config({ ...base, model_type: "llama" }), /model_type/);
  t.throws(() => parseGemma3Config([]), { code: "ERR_AIPROD_BAD_CONFIG" });
});

t.test("all weight layouts load and compute the same", async (t) => {
  const outs = (["model.language_model", "language_model.model", "causal_lm"] as const).map((layout) => {
    const dir = join(root, layout);
    writeTinyGemma(dir, { layout, seed: 9, shards: layout === "causal_lm" ? 1 : 4 });
    using m = Gemma3TextModel.load(dir);
    using h = m.forward([[2, 300, 40, 17]]).lastHiddenState;
    return Array.from(h.toFloat32());
  });
  t.same(outs[1], outs[0]);
  t.same(outs[2], outs[0]);
});

t.test("missing keys and wrong shapes are named", async (t) => {
  const dir = join(root, "broken");
  writeTinyGemma(dir, { seed: 2 });
  const indexPath = join(dir, "model.safetensors.index.json");
  const index = JSON.parse(readFileSync(indexPath, "utf8"));
  delete index.weight_map["model.language_model.layers.2.mlp.up_proj.weight"];
  writeFileSync(indexPath, JSON.stringify(index));
  t.throws(() => Gemma3TextModel.load(dir), { code: "ERR_AIPROD_MISSING_WEIGHT", message: /layers\.2\.mlp\.up_proj\.weight/ });

  const dir2 = join(root, "shape");
  writeTinyGemma(dir2, { seed: 2 });
  const cfgPath = join(dir2, "config.json");
  const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
  cfg.text_config.intermediate_size = 40;
  writeFileSync(cfgPath, JSON.stringify(cfg));
  t.throws(() => Gemma3TextModel.load(dir2), { code: "ERR_AIPROD_BAD_WEIGHT", message: /layers\.0\.mlp\.gate_proj\.weight.*\[48,32\].*\[40,32\]/ });

  const dir3 = join(root, "nothing");
  writeTinyGemma(dir3, { seed: 2 });
  rmSync(join(dir3, "model.safetensors.index.json"));
  t.throws(() => Gemma3TextModel.load(dir3), /neither model\.safetensors\.index\.json nor model\.safetensors/);
  t.throws(() => Gemma3TextModel.load(join(root, "absent")), { code: "ERR_AIPROD_BAD_CONFIG" });
});

t.test("token ids outside the vocabulary are rejected", async (t) => {
  const dir = join(root, "model.language_model");
  using m = Gemma3TextModel.load(dir);
  t.throws(() => m.forward([[2, m.config.vocabSize]]), /outside the vocabulary/);
  t.throws(() => m.forward([[2, 3], [2]]), /row 1/);
});
