// Every pipeline end to end on the tiny model set through the public engine (worker thread): the MP4's codec,
// frame count, fps, size and audio track as ffprobe reports them; same seed → same frames; cancellation.
import { existsSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import sharp from "sharp";
import { probeMedia } from "../../src/media/ffmpeg.js";
import { createEngine } from "../../src/pipelines/engine.js";
import type { GenerateParams, PipelineName, Progress } from "../../src/pipelines/types.js";
import { rawFrames, tinySetup } from "./helpers.js";

const { dir, files } = tinySetup();
const image = join(dir, "cond.png");
await sharp({ create: { width: 96, height: 72, channels: 3, background: { r: 220, g: 40, b: 60 } } }).png().toFile(image);

const engine = createEngine({ device: "cpu" });
await engine.loadModels({ ...files, loras: [] });
const icEngine = createEngine({ device: "auto" });
await icEngine.loadModels(files);

function probe(path: string) {
  const { streams } = probeMedia(path);
  const v = streams.find((s) => s.codec_type === "video")!;
  const a = streams.find((s) => s.codec_type === "audio");
  return { codec: v.codec_name, frames: Number(v.nb_frames), fps: v.r_frame_rate, width: v.width, height: v.height, pix: v.pix_fmt, space: v.color_space, audio: a?.codec_name, channels: a?.channels };
}

const cases: [PipelineName, Partial<GenerateParams>][] = [
  ["distilled", { images: [{ source: image, frame: 0, strength: 1 }] }],
  ["ti2vid_one_stage", { width: 64, height: 96, steps: 2 }],
  ["ti2vid_two_stages", { steps: 2, images: [{ source: image, frame: 8, strength: 0.8 }] }],
  ["keyframe_interpolation", { steps: 2, images: [{ source: image, frame: 0 }, { source: image, frame: 8, strength: 0.5 }] }],
];

for (const [pipeline, extra] of cases) {
  t.test(`${pipeline}: MP4 with the requested codec, frames, fps and size`, async (t) => {
    const output = join(dir, `${pipeline}.mp4`);
    const stages = new Set<string>();
    const r = await engine.generate({ pipeline, prompt: "a red fox", width: 128, height: 128, numFrames: 9, fps: 24, output, ...extra }, { onProgress: (p) => stages.add(p.stage) });
    const w = extra.width ?? 128, h = extra.height ?? 128;
    t.same(probe(output), { codec: "h264", frames: 9, fps: "24/1", width: w, height: h, pix: "yuv420p", space: "bt709", audio: "aac", channels: 2 });
    t.equal(r.frames, 9);
    t.ok(r.hasAudio);
    t.match(r.modelHashes, { checkpoint: /^[0-9a-f]{64}$/, textEncoder: /^[0-9a-f]{64}$/ });
    t.ok(r.stages.some((s) => s.stage === "stage1" && s.peakRssBytes > 0));
    t.ok(stages.has("stage1") && stages.has("decode"));
    if (pipeline !== "ti2vid_one_stage") t.ok(stages.has("stage2") && stages.has("upsample"));
  });
}

t.test("ic_lora: reference video tokens + IC-LoRA", async (t) => {
  const reference = join(dir, "distilled.mp4");
  if (!existsSync(reference)) await engine.generate({ pipeline: "distilled", prompt: "ref", width: 128, height: 128, numFrames: 9, output: reference });
  const output = join(dir, "ic.mp4");
  const r = await icEngine.generate({ pipeline: "ic_lora", prompt: "a fox", width: 128, height: 128, numFrames: 9, output, referenceVideo: { path: reference, attentionStrength: 0.5 } });
  t.match(probe(output), { codec: "h264", frames: 9, fps: "24/1", width: 128, height: 128 });
  t.equal(r.params.referenceVideo?.attentionStrength, 0.5);
  // A spatial attention mask (here the reference itself read as grayscale): pooled to the reference tokens.
  const masked = join(dir, "ic-mask.mp4");
  const m = await icEngine.generate({ pipeline: "ic_lora", prompt: "a fox", width: 128, height: 128, numFrames: 9, output: masked, referenceVideo: { path: reference, attentionStrength: 0.5, attentionMask: reference } });
  t.match(probe(masked), { codec: "h264", frames: 9, width: 128, height: 128 });
  t.equal(m.params.referenceVideo?.attentionMask, reference);
  await t.rejects(icEngine.generate({ pipeline: "ic_lora", prompt: "a fox", width: 128, height: 128, numFrames: 9, output: masked, referenceVideo: { path: reference, attentionMask: join(dir, "nope.mp4") } }),
    { message: /attention mask '.*nope.mp4' does not exist/ });
});

t.test("same seed → same frames; another seed → other frames; PNG frames", async (t) => {
  const base = { pipeline: "distilled" as const, prompt: "waves", width: 128, height: 128, numFrames: 9 };
  await engine.generate({ ...base, seed: 7, output: join(dir, "s7a.mp4"), pngFramesDir: join(dir, "png") });
  await engine.generate({ ...base, seed: 7, output: join(dir, "s7b.mp4") });
  await engine.generate({ ...base, seed: 8, output: join(dir, "s8.mp4") });
  t.ok(rawFrames(join(dir, "s7a.mp4")).equals(rawFrames(join(dir, "s7b.mp4"))), "same seed, same decoded frames");
  t.notOk(rawFrames(join(dir, "s7a.mp4")).equals(rawFrames(join(dir, "s8.mp4"))), "different seed, different frames");
  t.ok(existsSync(join(dir, "png", "frame_00008.png")) && !existsSync(join(dir, "png", "frame_00009.png")));
});

t.test("cancellation rejects with an AbortError within one step and writes nothing", async (t) => {
  const controller = new AbortController();
  const output = join(dir, "cancelled.mp4");
  let abortedAt = 0, stepsAfter = 0;
  const onProgress = (p: Progress) => {
    if (p.stage !== "stage1") return;
    if (abortedAt) stepsAfter++;
    else if (p.step >= 1) {
      abortedAt = performance.now();
      controller.abort();
    }
  };
  // 200 guided steps would take far longer than the test allows if the abort were ignored.
  const run = engine.generate({ pipeline: "ti2vid_one_stage", prompt: "x", width: 64, height: 64, numFrames: 9, steps: 200, output }, { signal: controller.signal, onProgress, progressIntervalMs: 0 });
  await t.rejects(run, { name: "AbortError", code: "ERR_AIPROD_ABORTED" });
  t.ok(abortedAt > 0);
  t.ok(stepsAfter <= 1, `at most one step finished after the abort (${stepsAfter})`);
  t.notOk(existsSync(output));
});
