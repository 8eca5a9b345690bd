// Prompt enhancement in the pipelines (upstream --enhance-prompt) on the tiny model set: Gemma's rewrite of the
// prompt is what gets encoded, seeded by the run's seed, from the frame-0 image when there is one; progress per
// generated token, cancellation between tokens, validation.
import { existsSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import t from "tap";
import { DEFAULT_ENHANCE_SAMPLING } from "../../src/models/gemma3/enhance.js";
import { GemmaTextEncoder } from "../../src/models/gemma3/textEncoder.js";
import { writeTinyGemma } from "../../src/models/gemma3/tiny.js";
import { createEngine } from "../../src/pipelines/engine.js";
import type { GenerateParams, Progress } from "../../src/pipelines/types.js";
import { rawFrames, tinySetup } from "./helpers.js";

const { dir, files } = tinySetup();
const red = join(dir, "red.png"), blue = join(dir, "blue.png");
await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 220, g: 40, b: 60 } } }).png().toFile(red);
const stripes = new Uint8Array(32 * 32 * 3);
for (let i = 0; i < 32 * 32; i++) stripes.set((i >> 2) % 2 ? [250, 240, 10] : [5, 20, 200], i * 3);
await sharp(stripes, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(blue);

const engine = createEngine({ device: "cpu" });
await engine.loadModels({ ...files, loras: [] });

const N = 12;
const PROMPT = "a red fox in the snow";
const base = { pipeline: "distilled" as const, prompt: PROMPT, width: 64, height: 64, numFrames: 9, seed: 3, enhanceMaxNewTokens: N };
const run = (name: string, extra: Partial<GenerateParams> = {}, onProgress?: (p: Progress) => void) =>
  engine.generate({ ...base, output: join(dir, `${name}.mp4`), ...extra }, { progressIntervalMs: 0, ...(onProgress ? { onProgress } : {}) });

// What GemmaTextEncoder.enhancePrompt gives directly with the run's seed.
const gemma = GemmaTextEncoder.load(files.textEncoder, { cacheSize: 0 });
t.teardown(() => gemma.dispose());
const direct = (seed: number, image?: string) =>
  gemma.enhancePrompt(PROMPT, { maxNewTokens: N, sampling: { ...(DEFAULT_ENHANCE_SAMPLING as { kind: "sample" }), seed }, ...(image ? { image } : {}) });

t.test("the enhanced prompt is reported, seeded by the run's seed, and is what gets encoded", async (t) => {
  const events: Progress[] = [];
  const a = await run("enh-a", { enhancePrompt: true }, (p) => events.push(p));
  t.type(a.enhancedPrompt, "string");
  t.not(a.enhancedPrompt, PROMPT, "the prompt was rewritten");
  t.equal(a.enhancedPrompt, await direct(3), "= GemmaTextEncoder.enhancePrompt with seed 3 (text-only)");
  t.not(a.enhancedPrompt, await direct(4), "another seed, another rewrite");
  t.equal(a.params.enhancePrompt, true);
  t.equal(a.params.prompt, PROMPT, "params keep the user's prompt");

  // Progress: an "enhance" stage before "text", per generated token out of enhanceMaxNewTokens.
  const stages = events.map((e) => e.stage);
  t.ok(stages.indexOf("enhance") >= 0 && stages.indexOf("enhance") < stages.indexOf("text"), "enhance runs before text");
  const tokens = events.filter((e) => e.stage === "enhance" && e.step > 0);
  t.ok(tokens.length >= 1 && tokens.every((e) => e.steps === N), `per-token progress out of ${N}`);
  t.same(tokens.map((e) => e.step), tokens.map((_, i) => i + 1), "one event per token");
  t.ok(a.stages.some((s) => s.stage === "enhance"));

  const b = await run("enh-b", { enhancePrompt: true });
  t.equal(b.enhancedPrompt, a.enhancedPrompt, "same seed, same rewrite");
  t.ok(rawFrames(a.output).equals(rawFrames(b.output)), "same seed, same frames");

  const plain = await run("plain");
  t.notOk("enhancedPrompt" in plain, "no enhancedPrompt without enhancement");
  t.equal(plain.params.enhancePrompt, false, "off by default");
  t.notOk(plain.stages.some((s) => s.stage === "enhance"));
  t.notOk(rawFrames(plain.output).equals(rawFrames(a.output)), "the enhanced text changes the video");
  // Encoding the rewrite as a plain prompt gives exactly the enhanced run's video.
  const same = await run("as-prompt", { prompt: a.enhancedPrompt! });
  t.ok(rawFrames(same.output).equals(rawFrames(a.output)), "the enhanced run encoded the enhanced text");
});

t.test("with an image at frame 0, enhancement is image-to-video from that image", async (t) => {
  const textOnly = await direct(3);
  const r = await run("i2v-red", { enhancePrompt: true, images: [{ source: red, frame: 0 }] });
  t.equal(r.enhancedPrompt, await direct(3, red), "= enhancePrompt({image: the frame-0 image})");
  t.not(r.enhancedPrompt, textOnly, "not the text-only rewrite");
  const viaBytes = await run("i2v-blue", { enhancePrompt: true, images: [{ source: await sharp(blue).png().toBuffer(), frame: 0 }] });
  t.equal(viaBytes.enhancedPrompt, await direct(3, blue), "encoded image bytes work too");
  t.not(viaBytes.enhancedPrompt, r.enhancedPrompt, "another image, another rewrite");
  // An image later in the video is no first frame: text-only enhancement.
  const later = await run("i2v-later", { enhancePrompt: true, images: [{ source: red, frame: 8 }] });
  t.equal(later.enhancedPrompt, textOnly);
});

t.test("cancellation is checked between generated tokens", async (t) => {
  const controller = new AbortController();
  const output = join(dir, "cancelled.mp4");
  let aborted = false, after = 0, textSeen = false;
  const onProgress = (p: Progress) => {
    if (p.stage === "text") textSeen = true;
    if (p.stage !== "enhance") return;
    if (aborted) after++;
    else if (p.step >= 1) {
      aborted = true;
      controller.abort();
    }
  };
  const max = 4000;
  const r = engine.generate({ ...base, enhancePrompt: true, enhanceMaxNewTokens: max, output }, { signal: controller.signal, onProgress, progressIntervalMs: 0 });
  await t.rejects(r, { name: "AbortError", code: "ERR_AIPROD_ABORTED" });
  t.ok(aborted);
  t.ok(after < 200, `generation stopped soon after the abort (${after} more tokens of up to ${max})`);
  t.notOk(textSeen);
  t.notOk(existsSync(output));
});

t.test("the generation hook: onToken sees every token and may stop the loop", async (t) => {
  const seen: number[] = [];
  await t.rejects(gemma.enhancePrompt(PROMPT, { maxNewTokens: 50, onToken: (n, max) => {
    seen.push(n);
    t.equal(max, 50);
    if (n === 3) throw new Error("stop here");
  } }), { message: "stop here" });
  t.same(seen, [1, 2, 3]);
});

t.test("enhancePrompt must be a boolean", async (t) => {
  for (const v of ["yes", 1, null]) {
    await t.rejects(run("bad", { enhancePrompt: v as unknown as boolean }), { code: "ERR_AIPROD_INVALID_REQUEST", message: /enhancePrompt must be a boolean/ });
  }
  await t.rejects(run("bad", { enhancePrompt: true, enhanceMaxNewTokens: 0 }), { code: "ERR_AIPROD_INVALID_REQUEST", message: /enhanceMaxNewTokens/ });
});

t.test("a frame-0 image with a text-only Gemma folder is refused before anything loads", async (t) => {
  t.equal(engine.models?.textEncoderVision, true, "the tiny set's Gemma has vision weights");
  const textOnly = join(dir, "gemma-text-only");
  writeTinyGemma(textOnly, { seed: 1, shards: 1, withoutVision: true, textConfig: { hidden_size: 16, num_hidden_layers: 2 } });
  const e = createEngine({ device: "cpu" });
  const info = await e.loadModels({ ...files, textEncoder: textOnly, loras: [] });
  t.equal(info.textEncoderVision, false);
  await t.rejects(e.generate({ ...base, enhancePrompt: true, images: [{ source: red, frame: 0 }], output: join(dir, "t.mp4") }),
    { code: "ERR_AIPROD_INVALID_REQUEST", message: /image-to-video enhancement, which needs a multimodal Gemma folder/ });
  t.notOk(existsSync(join(dir, "t.mp4")));
});
