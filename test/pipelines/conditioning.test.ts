// Conditioning semantics on real tiny weights: replacement at strength 1 keeps the image latent exactly;
// appended keyframe/reference tokens carry the upstream positions and are cut off after the loop; the
// attention-strength mask and its additive bias; validation errors before any model loads.
import t from "tap";
import { GaussianGenerator } from "../../src/models/ltx2/components/noisers.js";
import { sigmasFromValues, DISTILLED_SIGMA_VALUES } from "../../src/models/ltx2/components/schedulers.js";
import { clearConditioning, createInitialState, growAttention } from "../../src/models/ltx2/conditioning/latentState.js";
import { VideoConditionByLatentIndex } from "../../src/models/ltx2/conditioning/latentIndex.js";
import { keyframePositions, VideoConditionByKeyframeIndex } from "../../src/models/ltx2/conditioning/keyframeIndex.js";
import { attentionBias, VideoConditionByReferenceLatent, withAttentionStrength } from "../../src/models/ltx2/conditioning/referenceLatent.js";
import { audioPositions, videoPositions } from "../../src/models/ltx2/transformer/positions.js";
import { RunContext } from "../../src/pipelines/context.js";
import { createEngine } from "../../src/pipelines/engine.js";
import { encodePrompts } from "../../src/pipelines/stages/encodePrompt.js";
import { denoise } from "../../src/pipelines/stages/denoise.js";
import { openTransformer } from "../../src/pipelines/stages/transformer.js";
import { tinySetup } from "./helpers.js";

const { dir, files } = tinySetup();
const C = 8;
const grid = { frames: 2, height: 2, width: 2 };

t.test("replacement at strength 1: the generated first latent frame equals the image latent", async (t) => {
  const ctx = new RunContext(() => false, () => {}, new GaussianGenerator(3));
  const [text] = encodePrompts(ctx, files.checkpoint, files.textEncoder, ["a cat"]);
  const image = Float32Array.from({ length: 4 * C }, (_, i) => Math.sin(i));
  let video = createInitialState(videoPositions(grid, 24), C);
  video = new VideoConditionByLatentIndex(image, 1, 1, 0).applyTo(video, grid);
  const audio = createInitialState(audioPositions(9), 128);
  using tr = openTransformer(files.checkpoint, []);
  const out = denoise(ctx, tr.model, video, audio, { sigmas: sigmasFromValues(DISTILLED_SIGMA_VALUES), noiseScale: 1, positive: text! });
  t.same(Array.from(out.video.subarray(0, 4 * C)), Array.from(image), "kept bit for bit");
  t.not(out.video[4 * C], 0, "the other frame was generated");
  // Strength 0.5: the first frame is partially regenerated, so it moves away from the image.
  const half = new VideoConditionByLatentIndex(image, 1, 0.5, 0).applyTo(createInitialState(videoPositions(grid, 24), C), grid);
  t.same(Array.from(half.mask), [0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1]);
  text!.video.dispose();
  text!.audio.dispose();
});

t.test("appended keyframe tokens: positions [f, f+1)/fps, mask 1 − strength, removed after the loop", async (t) => {
  const base = createInitialState(videoPositions(grid, 24), C);
  const key = Float32Array.from({ length: 4 * C }, (_, i) => i / 10);
  const s = new VideoConditionByKeyframeIndex(key, { frames: 1, height: 2, width: 2 }, 16, 0.75).applyTo(base, 24);
  t.equal(s.mask.length, 12);
  t.equal(s.targetTokens, 8);
  t.same(Array.from(s.mask.subarray(8)), [0.25, 0.25, 0.25, 0.25]);
  t.same(Array.from(s.clean.subarray(8 * C)), Array.from(key));
  t.same(Array.from(s.latent.subarray(8 * C)), new Array(4 * C).fill(0));
  const tokens = s.positions.tokens;
  t.equal(s.positions.data[8 * 2], Math.fround(16 / 24));
  t.equal(s.positions.data[8 * 2 + 1], Math.fround(17 / 24));
  t.same(Array.from(s.positions.data.subarray((tokens + 11) * 2, (tokens + 11) * 2 + 2)), [32, 64], "height bounds");
  t.equal(clearConditioning(s).length, 8 * C, "appended tokens cut off");
  // Frame 0 keyframes use the causal fix: [0, 1)/fps.
  t.same(Array.from(keyframePositions({ frames: 1, height: 1, width: 1 }, 24, 0, 1).data.subarray(0, 2)), [0, Math.fround(1 / 24)]);
});

t.test("reference tokens: scaled positions, attention-strength blocks and bias", async (t) => {
  const base = createInitialState(videoPositions(grid, 24), C);
  const ref = new Float32Array(2 * C);
  const item = new VideoConditionByReferenceLatent(ref, { frames: 2, height: 1, width: 1 }, 2, 1, 1);
  const s = withAttentionStrength(base, (x) => item.applyTo(x, 24), 0.5);
  t.equal(s.mask.length, 10);
  t.same(Array.from(s.mask.subarray(8)), [0, 0]);
  const T = s.positions.tokens;
  t.same(Array.from(s.positions.data.subarray((T + 8) * 2, (T + 8) * 2 + 2)), [0, 64], "height ×2 (downscale factor)");
  const a = s.attention!;
  t.equal(a[0 * 10 + 1], 1, "target ↔ target");
  t.equal(a[0 * 10 + 8], 0.5, "target → reference");
  t.equal(a[9 * 10 + 3], 0.5, "reference → target");
  t.equal(a[9 * 10 + 8], 1, "reference ↔ reference");
  const grown = growAttention(a, 10, 1, 8, Float32Array.of(1));
  t.equal(grown[8 * 11 + 10], 0, "an earlier reference group does not see a new one");
  const bias = attentionBias(Float32Array.of(1, 0.5, 0));
  t.same([bias[0], bias[1]], [0, Math.fround(Math.log(0.5))]);
  t.ok(bias[2]! < -1e38);
});

t.test("invalid requests fail before any model loads", async (t) => {
  const engine = createEngine({ device: "cpu" });
  await t.rejects(engine.generate({ pipeline: "distilled", prompt: "x", output: `${dir}/a.mp4` }), { code: "ERR_AIPROD_NO_MODELS", message: /loadModels\(\{ checkpoint, textEncoder, \.\.\. \}\).*or engine\.loadModels\(ensureTinyModels\(\)\)/ }, "the error names both ways out");
  await engine.loadModels(files);
  const ok = { pipeline: "distilled" as const, prompt: "x", width: 128, height: 128, numFrames: 9, output: `${dir}/a.mp4` };
  const bad: [object, RegExp][] = [
    [{ numFrames: 10 }, /numFrames must be 8k\+1/],
    [{ numFrames: 1, fps: 50 }, /numFrames 1 at fps 50 lasts 20 ms, shorter than one audio latent frame/],
    [{ width: 96 }, /multiple of 64/],
    [{ pipeline: "ti2vid_one_stage", width: 80 }, /multiple of 32/],
    [{ images: [{ source: `${dir}/missing.png` }] }, /does not exist/],
    [{ images: [{ source: files.checkpoint, frame: 9 }] }, /outside the video/],
    [{ images: [{ source: files.checkpoint, strength: 2 }] }, /\[0, 1\]/],
    [{ steps: 4 }, /fixed distilled schedule/],
    [{ pipeline: "ic_lora" }, /reference video/],
    [{ referenceVideo: { path: files.checkpoint } }, /only applies to the ic_lora/],
    [{ output: `${dir}/nowhere/x.mp4` }, /does not exist/],
    [{ prompt: "  " }, /non-empty/],
  ];
  for (const [patch, message] of bad) {
    const start = performance.now();
    await t.rejects(engine.generate({ ...ok, ...patch } as never), { code: "ERR_AIPROD_INVALID_REQUEST", message }, JSON.stringify(patch));
    t.ok(performance.now() - start < 200, "rejected at once, no worker");
  }
  t.throws(() => createEngine({ device: "nope" as never }), /cpu, cuda or auto/);
});

t.test("a LoRA that does not fit the model is refused by loadModels", async (t) => {
  const { writeSafetensors } = await import("../../src/checkpoint/safetensorsWriter.js");
  const bad = `${dir}/bad-lora.safetensors`;
  writeSafetensors(bad, new Map([
    ["diffusion_model.transformer_blocks.0.attn1.to_q.lora_A.weight", { dtype: "f32", shape: [2, 99], data: new Float32Array(198) }],
    ["diffusion_model.transformer_blocks.0.attn1.to_q.lora_B.weight", { dtype: "f32", shape: [16, 2], data: new Float32Array(32) }],
  ]));
  await t.rejects(createEngine().loadModels({ ...files, loras: [{ path: bad }] }), { code: "ERR_AIPROD_BAD_LORA", message: /bad-lora.*lora_A \[2,99\]/ });
});

t.test("Euler-ancestral stage (2.5 distilled) draws from its own generator", async (t) => {
  const ctx = () => new RunContext(() => false, () => {}, new GaussianGenerator(3));
  const c = ctx();
  const [text] = encodePrompts(c, files.checkpoint, files.textEncoder, ["a cat"]);
  using tr = openTransformer(files.checkpoint, []);
  const run = (ancestral?: GaussianGenerator) => denoise(ctx(), tr.model, createInitialState(videoPositions(grid, 24), C), createInitialState(audioPositions(9), 128),
    { sigmas: sigmasFromValues(DISTILLED_SIGMA_VALUES), noiseScale: 1, positive: text!, ...(ancestral ? { ancestral } : {}) }).video;
  const a = run(new GaussianGenerator(10010)), b = run(new GaussianGenerator(10010)), e = run();
  t.same(Array.from(a), Array.from(b), "same seed, same result");
  t.notSame(Array.from(a), Array.from(e), "differs from plain Euler");
  t.ok(a.every(Number.isFinite));
  text!.video.dispose();
  text!.audio.dispose();
});
