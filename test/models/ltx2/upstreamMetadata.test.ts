// Files the engine writes must load in upstream LTX-2. The checks below are upstream's configurators, key by key
// (ltx_core/model/transformer/model_configurator.py LTXModelConfigurator.from_metadata and
// audio_vae/model_configurator.py VocoderConfigurator): check_config_value(config, key, expected) raises when
// config.get(key) != expected, so a missing key reads as None. Written here from upstream's source, not from
// the engine's own table, so the test cannot agree with a wrong table.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { SafetensorsFile } from "../../../src/checkpoint/safetensors.js";
import { TINY_TRANSFORMER_CONFIG_2_3, writeTinyLtx2Checkpoint } from "../../../src/models/ltx2/checkpoint/tinyCheckpoint.js";
import { upstreamConfigProblems } from "../../../src/models/ltx2/transformer/config.js";
import { writeTinyModels } from "../../../src/pipelines/tinyModels.js";

type Config = Record<string, unknown>;

/** Python's `config.get(key) != expected` on JSON values (None for a missing key; 0 == 0.0). */
function check(config: Config, key: string, expected: unknown, where: string, errors: string[]): void {
  const actual = config[key] === undefined ? null : config[key];
  if (actual !== expected) errors.push(`${where}: Config value ${key} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

function upstreamTransformerChecks(transformer: Config, errors: string[]): void {
  const where = "LTXModelConfigurator";
  check(transformer, "dropout", 0.0, where, errors);
  check(transformer, "attention_bias", true, where, errors);
  check(transformer, "num_vector_embeds", null, where, errors);
  check(transformer, "activation_fn", "gelu-approximate", where, errors);
  check(transformer, "num_embeds_ada_norm", 1000, where, errors);
  check(transformer, "use_linear_projection", false, where, errors);
  check(transformer, "only_cross_attention", false, where, errors);
  check(transformer, "cross_attention_norm", true, where, errors);
  check(transformer, "double_self_attention", false, where, errors);
  check(transformer, "upcast_attention", false, where, errors);
  check(transformer, "standardization_norm", "rms_norm", where, errors);
  check(transformer, "norm_elementwise_affine", false, where, errors);
  check(transformer, "qk_norm", "rms_norm", where, errors);
  check(transformer, "positional_embedding_type", "rope", where, errors);
  check(transformer, "use_audio_video_cross_attention", true, where, errors);
  check(transformer, "share_ff", false, where, errors);
  check(transformer, "av_cross_ada_norm", true, where, errors);
  check(transformer, "use_middle_indices_grid", true, where, errors);
  check(transformer, "num_attention_heads", transformer.audio_num_attention_heads ?? NaN, where, errors);
}

function upstreamVocoderChecks(vocoder: Config, errors: string[]): void {
  if (!("bwe" in vocoder)) {
    check(vocoder, "resblock", "1", "VocoderConfigurator", errors);
    check(vocoder, "stereo", true, "VocoderConfigurator", errors);
  }
}

/** Everything upstream's configurators would refuse in one checkpoint's metadata. */
function upstreamRefusals(path: string): string[] {
  using f = SafetensorsFile.open(path);
  const config = f.config ?? {};
  const errors: string[] = [];
  if (config.transformer) upstreamTransformerChecks(config.transformer as Config, errors);
  if (config.vocoder) upstreamVocoderChecks(config.vocoder as Config, errors);
  return errors;
}

const dir = mkdtempSync(join(tmpdir(), "aiprod-upstream-meta-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test("every file of the built-in tiny model set passes upstream's configurator checks", async (t) => {
  writeTinyModels(join(dir, "set"));
  const files = readdirSync(join(dir, "set")).filter((n) => n.endsWith(".safetensors"));
  t.ok(files.length >= 4, `checked ${files.join(", ")}`);
  let transformers = 0;
  for (const name of files) {
    using f = SafetensorsFile.open(join(dir, "set", name));
    if (f.config?.transformer) transformers++;
    t.same(upstreamRefusals(join(dir, "set", name)), [], `${name} loads in upstream`);
  }
  t.equal(transformers, 1, "the checkpoint with the transformer was among them");
});

t.test("the LTX-2.3 tiny checkpoint passes them too", async (t) => {
  const path = join(dir, "tiny-2.3.safetensors");
  writeTinyLtx2Checkpoint(path, { transformer: TINY_TRANSFORMER_CONFIG_2_3, modelVersion: "2.3" });
  t.same(upstreamRefusals(path), []);
});

t.test("the writer refuses a config upstream would refuse, naming the key", async (t) => {
  t.throws(() => writeTinyLtx2Checkpoint(join(dir, "bad.safetensors"), { transformer: { share_ff: undefined } }),
    { code: "ERR_AIPROD_BAD_CONFIG", message: /share_ff is missing; upstream requires false/ });
  t.same(upstreamConfigProblems({ num_attention_heads: 2, audio_num_attention_heads: 2 }).length, 17, "every required key but num_vector_embeds (None when absent) is named when all are missing");
});
