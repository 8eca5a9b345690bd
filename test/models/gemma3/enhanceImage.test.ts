// Image-to-video prompt enhancement on tiny multimodal folders: the i2v prompt format, determinism, the image
// reaching the model (different images, different first-step logits), both weight layouts, and the errors for a
// text-only folder or a bad image.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import t from "tap";
import { enhancePrompt, gemmaImageChatPrompt, gemmaImageEmbeddings, i2vPromptIds } from "../../../src/models/gemma3/enhance.js";
import { generate } from "../../../src/models/gemma3/generate.js";
import { Gemma3TextModel } from "../../../src/models/gemma3/model.js";
import { I2V_SYSTEM_PROMPT } from "../../../src/models/gemma3/systemPrompts.js";
import { GemmaTextEncoder } from "../../../src/models/gemma3/textEncoder.js";
import { writeTinyGemma } from "../../../src/models/gemma3/tiny.js";
import { tinyTokenizerFiles } from "../../../src/models/gemma3/tinyTokenizer.js";
import { GemmaTokenizer } from "../../../src/models/gemma3/tokenizer.js";

const root = mkdtempSync(join(tmpdir(), "gemma3-i2v-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const { boi, eoi, image: IMG } = tinyTokenizerFiles().imageTokenIds;

// An untied random head (as in generate.test.ts), so outputs are varied rather than echoes of the input.
const dir = join(root, "mm");
writeTinyGemma(dir, { dtype: "f32", seed: 5, textConfig: { tie_word_embeddings: false } });
const model = Gemma3TextModel.load(dir);
const tk = GemmaTokenizer.fromFolder(dir);
t.teardown(() => model.dispose());

const solid = (r: number, g: number, b: number) => sharp({ create: { width: 40, height: 24, channels: 3, background: { r, g, b } } }).png().toBuffer();
const stripes = async () => {
  const px = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < 32 * 32; i++) px.set((i >> 2) % 2 ? [250, 240, 10] : [5, 20, 200], i * 3);
  return sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).png().toBuffer();
};

t.test("the i2v prompt: Gemma3Processor's image expansion, token ids from the config", async (t) => {
  t.equal(gemmaImageChatPrompt("SYS", " User Raw Input Prompt: a cat. ", 2),
    "<start_of_turn>user\nSYS\n\n\n\n<start_of_image><image_soft_token><image_soft_token><end_of_image>\n\nUser Raw Input Prompt: a cat.<end_of_turn>\n<start_of_turn>model\n");
  const vision = model.visionTower().config;
  t.same([vision.imageTokenId, vision.boiTokenId, vision.eoiTokenId], [IMG, boi, eoi], "config.json ids = the tokenizer's");
  const ids = i2vPromptIds(tk, vision, "Describe.", "a cat");
  const at = ids.indexOf(boi);
  t.same(ids.slice(at, at + 6), [boi, IMG, IMG, IMG, IMG, eoi], "<start_of_image>, 4 soft tokens, <end_of_image>");
  t.equal(ids[0], tk.bosId);
  t.match(tk.decode(ids), /Describe\.\n\n\n\n<start_of_image>(<image_soft_token>){4}<end_of_image>\n\nUser Raw Input Prompt: a cat\.<end_of_turn>/);
  t.throws(() => i2vPromptIds(tk, { ...vision, imageTokenId: IMG + 1 }, "S", "p"), { code: "ERR_AIPROD_BAD_CONFIG", message: /image_token_index/ });
});

t.test("enhancePrompt({image}): a string, deterministic with the default seed; the image reaches the model", async (t) => {
  const red = await solid(220, 30, 30), blue = await stripes();
  const a = await enhancePrompt(model, tk, "a cat", { image: red, maxNewTokens: 10 });
  const b = await enhancePrompt(model, tk, "a cat", { image: red, maxNewTokens: 10 });
  t.type(a, "string");
  t.ok(a.length > 0);
  t.equal(a, b, "same image, same seed: same text");

  // First-step logits of the i2v prompt for two images differ (and the same image gives the same logits).
  const ids = i2vPromptIds(tk, model.visionTower().config, I2V_SYSTEM_PROMPT, "a cat");
  const logits = async (img: Uint8Array) => {
    const image = await gemmaImageEmbeddings(model, img);
    try {
      using h = model.forward([ids], { image }).lastHiddenState;
      using l = model.logitsOfLast(h);
      return l.toFloat32();
    } finally {
      image.features.dispose();
    }
  };
  const lr = await logits(red), lb = await logits(blue), lr2 = await logits(red);
  t.same(Array.from(lr2), Array.from(lr), "deterministic");
  let diff = 0;
  for (let i = 0; i < lr.length; i++) diff = Math.max(diff, Math.abs(lr[i]! - lb[i]!));
  t.ok(diff > 1e-2, `two images: first-step logits differ by up to ${diff.toExponential(2)}`);

  // Greedy token sequences for the two images, with a short system prompt so that the 4 image tokens are a
  // large part of the tiny model's context: they differ.
  const short = i2vPromptIds(tk, model.visionTower().config, "Describe.", "a cat");
  const greedy = async (img: Uint8Array) => {
    const image = await gemmaImageEmbeddings(model, img);
    try {
      return generate(model, short, { maxNewTokens: 12, stopTokenIds: [], image });
    } finally {
      image.features.dispose();
    }
  };
  const sr = await greedy(red), sb = await greedy(blue);
  t.not(sr.join(), sb.join(), `greedy tokens: ${sr.join(" ")} vs ${sb.join(" ")}`);
  const opts = { maxNewTokens: 12, sampling: { kind: "greedy" as const }, systemPrompt: "Describe." };
  const c = await enhancePrompt(model, tk, "a cat", { ...opts, image: blue });
  const d = await enhancePrompt(model, tk, "a cat", { ...opts, image: red });
  t.not(c, d, "greedy enhancement (stopping at EOS / <end_of_turn>) differs between the images");
  const text = await enhancePrompt(model, tk, "a cat", opts);
  t.not(text, d, "and from text-only enhancement");
});

t.test("both weight layouts enhance with an image, through GemmaTextEncoder too", async (t) => {
  const png = await solid(10, 200, 90);
  const outs: string[] = [];
  for (const layout of ["language_model.model", "model.language_model"] as const) {
    const d = join(root, `layout-${layout}`);
    writeTinyGemma(d, { layout, seed: 12, textConfig: { tie_word_embeddings: false } });
    using te = GemmaTextEncoder.load(d);
    outs.push(await te.enhancePrompt("a dog", { image: png, maxNewTokens: 8, sampling: { kind: "greedy" } }));
  }
  t.equal(outs[1], outs[0], `same text from both layouts: ${JSON.stringify(outs[0])}`);
});

t.test("text-only folders and bad images give clear errors", async (t) => {
  const png = await solid(1, 2, 3);
  const causal = join(root, "causal");
  writeTinyGemma(causal, { layout: "causal_lm", seed: 4 });
  using m1 = Gemma3TextModel.load(causal);
  await t.rejects(enhancePrompt(m1, GemmaTokenizer.fromFolder(causal), "a cat", { image: png }), { code: "ERR_AIPROD_UNSUPPORTED", message: /text-only/ });
  const noVision = join(root, "no-vision");
  writeTinyGemma(noVision, { seed: 4, withoutVision: true });
  using m2 = Gemma3TextModel.load(noVision);
  await t.rejects(enhancePrompt(m2, GemmaTokenizer.fromFolder(noVision), "a cat", { image: png }),
    { code: "ERR_AIPROD_MISSING_WEIGHT", message: /vision_tower\.vision_model\.embeddings\.patch_embedding\.weight/ });
  await t.rejects(enhancePrompt(model, tk, "a cat", { image: Buffer.from("definitely not a PNG") }), { code: "ERR_AIPROD_BAD_IMAGE" });
  const junk = join(root, "junk.jpg");
  writeFileSync(junk, "xx");
  await t.rejects(enhancePrompt(model, tk, "a cat", { image: junk }), { code: "ERR_AIPROD_BAD_IMAGE", message: /junk\.jpg/ });
  await t.rejects(enhancePrompt(model, tk, "a cat", { image: join(root, "nope.png") }), { code: "ERR_AIPROD_FILE_NOT_FOUND" });
});
