// Generation: with the KV cache equals without it, token for token (greedy and seeded sampling); the sampler's
// filtering; prompt enhancement's prompt format (image-conditioned enhancement: vision.test.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { enhancePrompt, gemmaChatPrompt } from "../../../src/models/gemma3/enhance.js";
import { generate } from "../../../src/models/gemma3/generate.js";
import { Gemma3TextModel } from "../../../src/models/gemma3/model.js";
import { filteredDistribution, SeededUniform, TokenSampler } from "../../../src/models/gemma3/sampling.js";
import { writeTinyGemma } from "../../../src/models/gemma3/tiny.js";
import { GemmaTokenizer } from "../../../src/models/gemma3/tokenizer.js";

const dir = mkdtempSync(join(tmpdir(), "gemma3-gen-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// f32 weights: the cached and uncached paths then differ by f32 rounding only, far below the logit gaps. An
// untied random head: with tied embeddings a random model just repeats its input token, which would make
// "same tokens" a weak check.
writeTinyGemma(dir, { dtype: "f32", seed: 5, textConfig: { tie_word_embeddings: false } });
const model = Gemma3TextModel.load(dir);
const tk = GemmaTokenizer.fromFolder(dir);
t.teardown(() => model.dispose());
const prompt = [tk.bosId, ...tk.encode("the cat is walking on the mat")];

t.test("greedy: KV cache equals full recomputation, token for token", async (t) => {
  // 16 new tokens: the sequence crosses the sliding window (5) many times over, so the cached local layers
  // must mask old keys exactly as the full forward does.
  const cached = generate(model, prompt, { maxNewTokens: 16, stopTokenIds: [] });
  const full = generate(model, prompt, { maxNewTokens: 16, stopTokenIds: [], useCache: false });
  t.equal(cached.length, 16);
  t.same(cached, full);
  t.ok(new Set(cached).size > 8, `a varied output: ${cached.join(" ")}`);
});

t.test("sampling: same seed, same tokens, cached or not; another seed differs", async (t) => {
  const s = { kind: "sample" as const, temperature: 1.5, topP: 0.9, topK: 40, seed: 3 };
  const a = generate(model, prompt, { maxNewTokens: 12, stopTokenIds: [], sampling: s });
  const b = generate(model, prompt, { maxNewTokens: 12, stopTokenIds: [], sampling: s, useCache: false });
  t.same(a, b);
  const c = generate(model, prompt, { maxNewTokens: 12, stopTokenIds: [], sampling: { ...s, seed: 4 } });
  t.not(a.join(), c.join());
});

t.test("stop tokens end generation and are included", async (t) => {
  const free = generate(model, prompt, { maxNewTokens: 8, stopTokenIds: [] });
  const stopAt = free[3]!;
  const out = generate(model, prompt, { maxNewTokens: 8, stopTokenIds: [stopAt] });
  t.same(out, free.slice(0, free.indexOf(stopAt) + 1));
});

t.test("top-k / top-p filtering and the seeded uniform", async (t) => {
  const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
  const all = filteredDistribution(logits, 1, 0, 1);
  t.same(all.ids, [0, 1, 2, 3]);
  t.ok(Math.abs(all.probs[1]! - 0.3) < 1e-6);
  t.same(filteredDistribution(logits, 1, 0, 0.8).ids, [0, 1], "0.5 + 0.3 reaches 0.8");
  t.same(filteredDistribution(logits, 1, 0, 0.81).ids, [0, 1, 2]);
  t.same(filteredDistribution(logits, 1, 1, 1).ids, [0], "top-k 1");
  const sharp = filteredDistribution(logits, 0.5, 0, 1).probs;
  t.ok(Math.abs(sharp[0]! - 0.25 / (0.25 + 0.09 + 0.0225 + 0.0025)) < 1e-6, "temperature 0.5 squares the odds");
  const u = new SeededUniform(10), v = new SeededUniform(10);
  const xs = Array.from({ length: 2000 }, () => u.next());
  t.same(xs.slice(0, 5), Array.from({ length: 5 }, () => v.next()), "seeded");
  t.ok(xs.every((x) => x >= 0 && x < 1));
  t.ok(Math.abs(xs.reduce((a, b) => a + b) / xs.length - 0.5) < 0.03, "mean ≈ 1/2");
  // Empirical frequencies of the sampler follow the filtered distribution.
  const sampler = new TokenSampler({ kind: "sample", temperature: 1, topP: 1, seed: 1 });
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[sampler.next(logits)]!++;
  [0.5, 0.3, 0.15, 0.05].forEach((p, i) => t.ok(Math.abs(counts[i]! / 4000 - p) < 0.03, `token ${i}: ${counts[i]! / 4000} ≈ ${p}`));
  // The one-pass top-k equals sorting everything, ties (duplicated values) included.
  const many = Float32Array.from({ length: 3000 }, (_, i) => Math.round(Math.sin(i * 12.9898) * 43758.5453 % 50));
  const full = filteredDistribution(many, 0.7, 0, 1).ids.slice(0, 64);
  t.same(filteredDistribution(many, 0.7, 64, 1).ids, full, "top-k 64 = the first 64 of the full sort");
  t.throws(() => filteredDistribution(logits, 0, 0, 1), /temperature/);
  t.throws(() => filteredDistribution(logits, 1, 0, 0), /topP/);
});

t.test("enhancePrompt: Gemma chat format, deterministic with a seed", async (t) => {
  t.equal(gemmaChatPrompt("SYS", "  user prompt: a cat \n"), "<start_of_turn>user\nSYS\n\nuser prompt: a cat<end_of_turn>\n<start_of_turn>model\n");
  const a = await enhancePrompt(model, tk, "a cat", { maxNewTokens: 6, systemPrompt: "Describe." });
  const b = await enhancePrompt(model, tk, "a cat", { maxNewTokens: 6, systemPrompt: "Describe." });
  t.equal(a, b, "default sampling is seeded");
  t.type(a, "string");
  t.ok(a.length > 0);
});
