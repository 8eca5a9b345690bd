// Prompt encoding: the documented layout, agreement with a plain forward, batch independence, and the LRU
// cache (hits skip the forward, eviction, results independent of the cache).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { Gemma3TextModel } from "../../../src/models/gemma3/model.js";
import { PromptEncoder } from "../../../src/models/gemma3/promptEncoder.js";
import { GemmaTextEncoder } from "../../../src/models/gemma3/textEncoder.js";
import { writeTinyGemma } from "../../../src/models/gemma3/tiny.js";

const dir = mkdtempSync(join(tmpdir(), "gemma3-enc-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeTinyGemma(dir, { dtype: "f32" });
const te = GemmaTextEncoder.load(dir, { maxLength: 16, cacheSize: 2 });
t.teardown(() => te.dispose());
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

t.test("layout: L+1 states [B, T, D], mask [B, T], equal to the model's forward", async (t) => {
  const prompts = ["the cat is walking", "a dog on the mat, slowly"];
  const enc = te.encodePrompt(prompts);
  t.equal(enc.hiddenStates.length, te.model.config.numLayers + 1);
  for (const h of enc.hiddenStates) t.same(h.shape, [2, 16, 32]);
  t.same(enc.attentionMask.shape, [2, 16]);
  const toks = prompts.map((p) => te.tokenizer.encodeForEncoder(p, 16));
  t.same(Array.from(enc.attentionMask.toFloat32()), toks.flatMap((x) => x.attentionMask));
  t.same(enc.inputIds, toks.map((x) => x.ids));
  t.same(enc.lengths, toks.map((x) => x.length));
  const ref = te.model.forward(toks.map((x) => x.ids), { attentionMask: toks.map((x) => x.attentionMask), outputHiddenStates: true });
  enc.hiddenStates.forEach((h, l) => t.same(Array.from(h.toFloat32()), Array.from(ref.hiddenStates![l]!.toFloat32()), `state ${l} is the forward's`));
  // Batch independence: the second prompt alone gives its row (f32 GEMMs may block differently: 1e-6).
  const alone = new PromptEncoder(te.model, te.tokenizer, { maxLength: 16, cacheSize: 0 }).encode([prompts[1]!]);
  const worst = Math.max(...alone.hiddenStates.map((h, l) => maxDiff(h.toFloat32(), enc.hiddenStates[l]!.toFloat32().subarray(16 * 32))));
  t.ok(worst < 1e-5, `batch row = single prompt (max diff ${worst})`);
});

t.test("cache: repeated prompts skip the forward; LRU eviction; results outlive the cache", async (t) => {
  const enc = new PromptEncoder(te.model, te.tokenizer, { maxLength: 16, cacheSize: 2 });
  const first = enc.encode(["the sun", "the sun"]);
  t.equal(enc.forwards, 1, "a duplicate within one call is computed once");
  t.same(first.hiddenStates[0]!.shape, [2, 16, 32]);
  const a = first.hiddenStates[3]!.toFloat32();
  t.same(Array.from(a.subarray(0, 512)), Array.from(a.subarray(512)), "both rows are the same encoding");
  for (const h of first.hiddenStates) h.dispose();
  const again = enc.encode(["  the sun \n"]);
  t.equal(enc.forwards, 1, "same ids after strip: a cache hit");
  t.same(Array.from(again.hiddenStates[3]!.toFloat32()), Array.from(a.subarray(0, 512)), "the cached values (the first result was disposed)");
  enc.encode(["a cat"]);
  enc.encode(["a dog"]);
  t.equal(enc.forwards, 3);
  t.equal(enc.cached, 2, "bounded");
  enc.encode(["the sun"]);
  t.equal(enc.forwards, 4, "the least recently used prompt was evicted");
  enc.encode(["a dog"]);
  t.equal(enc.forwards, 4, "a recent one is still cached");
  const mixed = enc.encode(["a dog", "new prompt"]);
  t.equal(enc.forwards, 5, "only the uncached prompt runs");
  t.same(mixed.hiddenStates[1]!.shape, [2, 16, 32]);
  enc.dispose();
});

t.test("bf16 storage option", async (t) => {
  const enc = new PromptEncoder(te.model, te.tokenizer, { maxLength: 16, dtype: "bf16" });
  const r = enc.encode(["the cat"]);
  t.equal(r.hiddenStates[2]!.dtype, "bf16");
  const f = new PromptEncoder(te.model, te.tokenizer, { maxLength: 16 }).encode(["the cat"]);
  const x = f.hiddenStates[2]!.toFloat32(), y = r.hiddenStates[2]!.toFloat32();
  t.ok(x.every((v, i) => Math.abs(v - y[i]!) <= Math.abs(v) * 2 ** -8), "bf16 rounding of the f32 values");
  t.throws(() => enc.encode([]), /at least one prompt/);
});

t.test("a padded row's valid tokens match the same prompt with less padding", async (t) => {
  const m = Gemma3TextModel.load(dir);
  const short = new PromptEncoder(m, te.tokenizer, { maxLength: 10, cacheSize: 0 }).encode(["the cat is"]);
  const long = new PromptEncoder(m, te.tokenizer, { maxLength: 16, cacheSize: 0 }).encode(["the cat is"]);
  const n = short.lengths[0]!;
  const worst = Math.max(...short.hiddenStates.map((h, l) => maxDiff(h.toFloat32().subarray((10 - n) * 32), long.hiddenStates[l]!.toFloat32().subarray((16 - n) * 32))));
  t.ok(worst <= 1e-5, `max diff ${worst}`);
  m.dispose();
});
