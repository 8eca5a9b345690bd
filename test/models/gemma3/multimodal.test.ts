// The multimodal prompt forward: image features replacing the image tokens' embeddings and the bidirectional
// image mask, against the float64 reference (test/reference/gemma3.ts + gemma3Vision.ts); generation from such
// a prompt with and without the KV cache.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { Tensor } from "../../../src/runtime/tensor.js";
import { generate } from "../../../src/models/gemma3/generate.js";
import { attentionBias, imageGroups } from "../../../src/models/gemma3/mask.js";
import { Gemma3TextModel } from "../../../src/models/gemma3/model.js";
import { writeTinyGemma } from "../../../src/models/gemma3/tiny.js";
import { tinyTokenizerFiles } from "../../../src/models/gemma3/tinyTokenizer.js";
import { randn } from "../../helpers/reference.js";
import { readFolder, refConfig, refEmbed, refHiddenStates, type RefVariant } from "../../reference/gemma3.js";
import { refImageFeatures, refVisionConfig } from "../../reference/gemma3Vision.js";

const root = mkdtempSync(join(tmpdir(), "gemma3-mm-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const { boi, eoi, image: IMG } = tinyTokenizerFiles().imageTokenIds;

t.test("the image mask: bidirectional within an image, causal elsewhere", async (t) => {
  // 0: text, 1..3: image A, 4: text, 5..6: image B, 7: text
  const ids = [[40, IMG, IMG, IMG, 41, IMG, IMG, 42]];
  const groups = imageGroups(ids, IMG);
  t.same(groups, [[0, 1, 1, 1, 0, 2, 2, 0]], "one group per run of image tokens");
  using b = attentionBias([[1, 1, 1, 1, 1, 1, 1, 1]], 8, undefined, groups);
  const m = b.toFloat32();
  const sees = (q: number, k: number) => m[q * 8 + k] === 0;
  t.ok(sees(1, 3) && sees(2, 3) && sees(1, 2), "an image token attends to later tokens of its image");
  t.notOk(sees(3, 4), "but not to the text after it");
  t.notOk(sees(1, 5) || sees(3, 6), "nor to a later image");
  t.ok(sees(5, 1) && sees(6, 5), "later tokens still see earlier ones causally");
  t.notOk(sees(4, 5) || sees(0, 1) || sees(4, 6), "text never sees the future");
  t.ok(sees(7, 6) && sees(7, 0) && sees(7, 7), "text sees the past and itself");
  // Sliding window 2: the image block stays mutually visible, text still windowed; padding stays masked.
  using w = attentionBias([[0, 1, 1, 1, 1, 1, 1, 1]], 8, 2, [[IMG, IMG, IMG, IMG, 0, 0, 0, 0].map((x) => (x ? 1 : 0))]);
  const mw = w.toFloat32();
  t.ok(mw[3 * 8 + 1] === 0 && mw[1 * 8 + 3] === 0, "image tokens 1 and 3 see each other beyond the window");
  t.equal(mw[2 * 8 + 0], -Infinity, "a padded key stays masked inside an image block");
  t.equal(mw[7 * 8 + 5], -Infinity, "text keeps its window");
});

t.test("f32: merged image features + image mask agree with the float64 reference, every hidden state", async (t) => {
  const dir = join(root, "f32");
  // An untied random head, so that greedy generation below does not just repeat a token.
  const text = writeTinyGemma(dir, { dtype: "f32", seed: 8, layout: "language_model.model", textConfig: { tie_word_embeddings: false } });
  const json = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  const c = refConfig(text), vc = refVisionConfig(json);
  const w = readFolder(dir);
  using model = Gemma3TextModel.load(dir);
  const pixels = Float32Array.from(randn(3 * 28 * 28, 5), (x) => Math.max(-1, Math.min(1, x / 2)));
  using px = Tensor.from(pixels, [1, 3, 28, 28]);
  using features = model.visionTower().forward(px);
  // <bos> text \n\n <boi> 4 × image <eoi> \n\n text: 15 positions, longer than the window (5).
  const ids = [2, 300, 40, 17, boi, IMG, IMG, IMG, IMG, eoi, 99, 120, 271, 64, 7];
  const mask = ids.map(() => 1);
  const groups = ids.map((x) => (x === IMG ? 1 : 0));
  const r = model.forward([ids], { outputHiddenStates: true, image: { tokenId: IMG, features } });
  r.lastHiddenState.dispose();
  const got = r.hiddenStates!.map((h) => { const a = h.toFloat32(); h.dispose(); return a; });
  // Reference input: scaled text embeddings with the image rows replaced by the reference's own features.
  const embeds = refEmbed(w, "language_model.model.", c, ids);
  const feats = refImageFeatures(w, "", vc, pixels);
  let row = 0;
  ids.forEach((id, i) => { if (id === IMG) embeds.set(feats.subarray(row * c.D, ++row * c.D), i * c.D); });
  const want = refHiddenStates(w, "language_model.model.", c, ids, mask, {}, { embeds, groups });
  const relErr = (a: Float32Array, b: Float64Array) => {
    let err = 0, mag = 0;
    for (let i = 0; i < b.length; i++) { err = Math.max(err, Math.abs(a[i]! - b[i]!)); mag = Math.max(mag, Math.abs(b[i]!)); }
    return err / mag;
  };
  // f32 throughout: the text model's f32 bound (2e-6 ≈ 30·2^-24 of the output scale), the image features adding
  // their own ≤ 2.5e-7 (vision.test.ts).
  const bound = 2e-6;
  for (let l = 0; l <= c.L; l++) {
    const e = relErr(got[l]!, want[l]!);
    t.ok(e <= bound, `hidden state ${l}: ${e.toExponential(2)} (bound ${bound})`);
  }
  const imageRows = ids.flatMap((id, i) => (id === IMG ? [i] : []));
  const f = features.toFloat32();
  t.same(Array.from(got[0]!.subarray(imageRows[0]! * c.D, (imageRows[0]! + 1) * c.D)), Array.from(f.subarray(0, c.D)), "image rows are the features, unscaled");
  // The comparison can fail: a causal mask over the image tokens misses by more than 3× the bound.
  const wrong = refHiddenStates(w, "language_model.model.", c, ids, mask, { causalImages: true } as RefVariant, { embeds, groups });
  const e = relErr(got[c.L]!, wrong[c.L]!);
  t.ok(e > 3 * bound, `causal image tokens are rejected (${e.toExponential(2)})`);
  // Text before the image cannot see it: those rows equal a text-only forward.
  const plain = model.forward([ids], { outputHiddenStates: true });
  plain.lastHiddenState.dispose();
  const p = plain.hiddenStates!.map((h) => { const a = h.toFloat32(); h.dispose(); return a; });
  t.same(Array.from(p[c.L]!.subarray(0, 4 * c.D)), Array.from(got[c.L]!.subarray(0, 4 * c.D)), "tokens before the image are unaffected");
  t.not(Array.from(p[c.L]!.subarray(10 * c.D)).join(), Array.from(got[c.L]!.subarray(10 * c.D)).join(), "tokens after it are");

  t.throws(() => model.forward([ids], { image: { tokenId: IMG, features: Tensor.zeros([3, c.D]) } }), /4 image tokens.*3 rows/);
  // An image token id beyond the embedding table (HF allows it) works: image rows are never looked up.
  const V = model.config.vocabSize;
  using beyond = model.forward([ids.map((x) => (x === IMG ? V : x))], { image: { tokenId: V, features } }).lastHiddenState;
  t.same(Array.from(beyond.toFloat32()), Array.from(got[c.L]!), "image token id ≥ vocab_size");

  // Generation from the image prompt: the KV cache (image only in the prompt pass) equals full recomputation.
  const a = generate(model, ids, { maxNewTokens: 8, stopTokenIds: [], image: { tokenId: IMG, features } });
  const b = generate(model, ids, { maxNewTokens: 8, stopTokenIds: [], image: { tokenId: IMG, features }, useCache: false });
  t.same(a, b, `cached = uncached: ${a.join(" ")}`);
  t.ok(new Set(a).size > 2, "a varied output");
});
