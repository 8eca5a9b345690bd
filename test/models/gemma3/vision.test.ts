// Gemma 3's vision tower (SigLIP) and multi-modal projector against the float64 reference
// (test/reference/gemma3Vision.ts) on tiny folders; config parsing; both checkpoint layouts; text-only folders.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { Tensor } from "../../../src/runtime/tensor.js";
import { Gemma3TextModel } from "../../../src/models/gemma3/model.js";
import { writeTinyGemma } from "../../../src/models/gemma3/tiny.js";
import { parseGemma3VisionConfig } from "../../../src/models/gemma3/vision/config.js";
import { randn } from "../../helpers/reference.js";
import { readFolder } from "../../reference/gemma3.js";
import { refImageFeatures, refVisionConfig, refVisionEmbeddings, refVisionLayer, refVisionTower, type RefVisionVariant } from "../../reference/gemma3Vision.js";

const root = mkdtempSync(join(tmpdir(), "gemma3-vision-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** max |got − want| relative to max |want| (the output's scale). */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let err = 0, mag = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    mag = Math.max(mag, Math.abs(want[i]!));
  }
  return got.length === want.length ? err / mag : Infinity;
}

// Pixels as the preprocessor makes them: [-1, 1].
const pixels = Float32Array.from(randn(3 * 28 * 28, 17), (x) => Math.max(-1, Math.min(1, x / 2)));

for (const dtype of ["f32", "bf16"] as const) {
  // Bounds. f32 weights: the conv, GEMMs, LayerNorms, attention and the pooling run in f32, so the engine differs
  // from float64 by f32 rounding only (sums of ≤ 147 terms; observed ≤ 2.5e-7 of the output scale); 1e-5 leaves
  // a wide margin. bf16 weights: the GEMMs round their activations to bf16 (2^-9 relative) as upstream's bf16
  // model does and the reference does not (observed ≤ 4e-3); 1.5e-2, the text model's bf16 bound.
  const bound = dtype === "f32" ? 1e-5 : 1.5e-2;
  t.test(`${dtype}: embeddings, each layer, the tower and the projector agree with the float64 reference`, async (t) => {
    const dir = join(root, `ref-${dtype}`);
    writeTinyGemma(dir, { dtype, layout: "language_model.model", seed: 21 });
    const json = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    const c = refVisionConfig(json);
    const w = readFolder(dir);
    using model = Gemma3TextModel.load(dir);
    const tower = model.visionTower();
    t.equal(tower.config.vision.numPatches, 16);
    t.equal(tower.projector.kernel, 2, "4×4 patches pooled 2×2 into 4 tokens");
    using px = Tensor.from(pixels, [1, 3, 28, 28]);

    using emb = tower.visionModel.embeddings.forward(px);
    t.same(emb.shape, [1, 16, 16]);
    const wantEmb = refVisionEmbeddings(w, "", c, pixels);
    const eEmb = relErr(emb.toFloat32(), wantEmb);
    t.ok(eEmb <= bound, `embeddings: ${eEmb.toExponential(2)} (bound ${bound})`);

    // Each layer alone on the engine's own input.
    let x = emb.toFloat32();
    for (let l = 0; l < c.L; l++) {
      using xin = Tensor.from(x, [1, 16, 16]);
      using y = tower.visionModel.layers[l]!.forward(xin);
      const got = y.toFloat32();
      const e = relErr(got, refVisionLayer(w, "", c, l, Float64Array.from(x)));
      t.ok(e <= bound, `encoder layer ${l}: ${e.toExponential(2)} (bound ${bound})`);
      x = got;
    }

    using last = tower.visionModel.forward(px);
    const wantLast = refVisionTower(w, "", c, pixels);
    const eLast = relErr(last.toFloat32(), wantLast);
    t.ok(eLast <= bound, `tower (post_layernorm): ${eLast.toExponential(2)} (bound ${bound})`);

    using feats = tower.forward(px);
    t.same(feats.shape, [1, 4, 32], "[B, mm_tokens_per_image, text hidden]");
    const got = feats.toFloat32();
    const want = refImageFeatures(w, "", c, pixels);
    const eFeat = relErr(got, want);
    t.ok(eFeat <= bound, `image features (pool, soft-emb norm, projection): ${eFeat.toExponential(2)} (bound ${bound})`);

    // The comparison can fail: each wrong variant misses by far more than the bound.
    for (const v of [{ plainSoftNorm: true }, { transposedProjection: true }, { columnMajorPool: true }, { noPositions: true }] as RefVisionVariant[]) {
      const e = relErr(got, refImageFeatures(w, "", c, pixels, v));
      t.ok(e > 10 * bound, `variant ${JSON.stringify(v)} is rejected (${e.toExponential(2)})`);
    }
  });
}

t.test("config: the 12B release defaults, overrides and errors", async (t) => {
  const c = parseGemma3VisionConfig({ vision_config: { model_type: "siglip_vision_model" } });
  t.same(c.vision, { hiddenSize: 1152, intermediateSize: 4304, numLayers: 27, numHeads: 16, headDim: 72, patchSize: 14, imageSize: 896,
    numChannels: 3, layerNormEps: 1e-6, numPatches: 4096 });
  t.same([c.mmTokensPerImage, c.imageTokenId, c.boiTokenId, c.eoiTokenId], [256, 262144, 255999, 256000]);
  const o = parseGemma3VisionConfig({ vision_config: { image_size: 28, patch_size: 7, hidden_size: 16, num_attention_heads: 2 }, mm_tokens_per_image: 4,
    image_token_index: 9, boi_token_index: 7, eoi_token_index: 8 });
  t.same([o.vision.numPatches, o.vision.headDim, o.imageTokenId, o.boiTokenId, o.eoiTokenId], [16, 8, 9, 7, 8]);
  t.throws(() => parseGemma3VisionConfig({ text_config: {} }), { code: "ERR_AIPROD_UNSUPPORTED", message: /text-only/ });
  t.throws(() => parseGemma3VisionConfig({ vision_config: { hidden_act: "relu" } }), /hidden_act/);
  t.throws(() => parseGemma3VisionConfig({ vision_config: { image_size: 30, patch_size: 7 } }), /patch_size/);
  t.throws(() => parseGemma3VisionConfig({ vision_config: {}, mm_tokens_per_image: 200 }), /mm_tokens_per_image/);
  t.throws(() => parseGemma3VisionConfig({ vision_config: { hidden_size: 10, num_attention_heads: 3 } }), /num_attention_heads/);
});

t.test("both checkpoint layouts load the same tower", async (t) => {
  const outs = (["language_model.model", "model.language_model"] as const).map((layout) => {
    const dir = join(root, `layout-${layout}`);
    writeTinyGemma(dir, { layout, seed: 33, shards: 3 });
    const keys = Object.keys((JSON.parse(readFileSync(join(dir, "model.safetensors.index.json"), "utf8")) as { weight_map: object }).weight_map);
    const probe = layout === "model.language_model" ? "model.vision_tower.vision_model.encoder.layers.1.mlp.fc2.bias" : "vision_tower.vision_model.encoder.layers.1.mlp.fc2.bias";
    t.ok(keys.includes(probe), `${layout}: ${probe}`);
    t.ok(keys.includes(layout === "model.language_model" ? "model.multi_modal_projector.mm_input_projection_weight" : "multi_modal_projector.mm_input_projection_weight"));
    using m = Gemma3TextModel.load(dir);
    using px = Tensor.from(pixels, [1, 3, 28, 28]);
    using f = m.visionTower().forward(px);
    return Array.from(f.toFloat32());
  });
  t.same(outs[1], outs[0]);
});

t.test("text-only folders and missing vision tensors give errors that say so", async (t) => {
  const causal = join(root, "causal");
  writeTinyGemma(causal, { layout: "causal_lm", seed: 3 });
  using m1 = Gemma3TextModel.load(causal);
  t.throws(() => m1.visionTower(), { code: "ERR_AIPROD_UNSUPPORTED", message: /no vision_config.*text-only/ });

  const noVision = join(root, "no-vision");
  writeTinyGemma(noVision, { seed: 3, withoutVision: true });
  using m2 = Gemma3TextModel.load(noVision);
  t.throws(() => m2.visionTower(), { code: "ERR_AIPROD_MISSING_WEIGHT", message: /vision_tower\.vision_model\.embeddings\.patch_embedding\.weight.*text-only/ });

  const partial = join(root, "partial");
  writeTinyGemma(partial, { seed: 3, layout: "language_model.model" });
  const indexPath = join(partial, "model.safetensors.index.json");
  const index = JSON.parse(readFileSync(indexPath, "utf8"));
  delete index.weight_map["vision_tower.vision_model.encoder.layers.1.self_attn.k_proj.bias"];
  writeFileSync(indexPath, JSON.stringify(index));
  using m3 = Gemma3TextModel.load(partial);
  t.throws(() => m3.visionTower(), { code: "ERR_AIPROD_MISSING_WEIGHT", message: /vision_tower\.vision_model\.encoder\.layers\.1\.self_attn\.k_proj\.bias/ });

  const model = join(root, `ref-f32`);
  using m4 = Gemma3TextModel.load(model);
  using wrong = Tensor.zeros([1, 3, 27, 28]);
  t.throws(() => m4.visionTower().forward(wrong), /pixels must be \[B, 3, 28, 28\]/);
});
