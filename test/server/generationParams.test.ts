// The pipeline parameter schema: sizes by pipeline, 8k+1 frames, bounds, guidance only where it applies.
import t from "tap";
import { GenerationParamsSchema, PIPELINES } from "../../server/schemas/generationParams.js";

const errors = (p: unknown) => {
  const r = GenerationParamsSchema.safeParse(p);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

t.test("defaults follow upstream", async (t) => {
  t.match(GenerationParamsSchema.parse({ pipeline: "ti2vid_one_stage" }), { width: 768, height: 512, num_frames: 121, fps: 24, seed: 10 });
  t.match(GenerationParamsSchema.parse({ pipeline: "distilled" }), { width: 1536, height: 1024, num_frames: 121, fps: 24, seed: 10 }, "two-stage: twice stage 1");
  for (const pipeline of PIPELINES) t.same(errors({ pipeline }), [], `${pipeline} with defaults`);
});

t.test("sizes: multiples of 32, of 64 for two-stage pipelines, bounded", async (t) => {
  t.same(errors({ pipeline: "ti2vid_one_stage", width: 736, height: 480 }), []);
  for (const pipeline of ["ti2vid_two_stages", "distilled", "ic_lora", "keyframe_interpolation"]) {
    t.match(errors({ pipeline, width: 736, height: 480 }), ["width: must be a multiple of 64 for " + pipeline, "height: must be a multiple of 64 for " + pipeline]);
  }
  t.match(errors({ pipeline: "ti2vid_one_stage", width: 770 }), [/width: must be a multiple of 32/]);
  t.match(errors({ pipeline: "ti2vid_one_stage", width: 32 }), [/width/]);
  t.match(errors({ pipeline: "ti2vid_one_stage", width: 7680 }), [/width/]);
  t.match(errors({ pipeline: "ti2vid_one_stage", width: 3840, height: 3840 }), [/at most 8294400 pixels/]);
});

t.test("frames 8k+1 within bounds; fps, steps, seed bounded", async (t) => {
  for (const f of [1, 9, 17, 121, 481]) t.same(errors({ pipeline: "distilled", num_frames: f }), [], `${f} frames`);
  for (const f of [0, 8, 10, 120, 489]) t.ok(errors({ pipeline: "distilled", num_frames: f }).some((e) => e.startsWith("num_frames")), `${f} frames refused`);
  t.ok(errors({ pipeline: "ti2vid_one_stage", fps: 0 }).length);
  t.ok(errors({ pipeline: "ti2vid_one_stage", fps: 61 }).length);
  t.ok(errors({ pipeline: "ti2vid_one_stage", steps: 0 }).length);
  t.ok(errors({ pipeline: "ti2vid_one_stage", steps: 101 }).length);
  t.ok(errors({ pipeline: "ti2vid_one_stage", seed: -1 }).length);
  t.ok(errors({ pipeline: "ti2vid_one_stage", seed: 2 ** 32 }).length);
  t.ok(errors({ pipeline: "ti2vid_one_stage", seed: 1.5 }).length);
  t.ok(errors({ pipeline: "ti2vid_one_stage", prompt: "x".repeat(4001) }).length);
  t.ok(errors({ pipeline: "sora" }).length, "unknown pipeline");
  t.ok(errors({ pipeline: "ti2vid_one_stage", model: "x" }).length, "unknown field");
});

t.test("guidance: ranges, and only for guided pipelines", async (t) => {
  const g = { cfg: 3, stg: 1, rescale: 0.7, modality: 3, stg_blocks: [29] };
  t.same(errors({ pipeline: "ti2vid_two_stages", video_guidance: g, audio_guidance: { ...g, cfg: 7 }, steps: 40 }), []);
  t.ok(errors({ pipeline: "ti2vid_one_stage", video_guidance: { ...g, cfg: 0.5 } }).length, "cfg below 1");
  t.ok(errors({ pipeline: "ti2vid_one_stage", video_guidance: { ...g, cfg: 25 } }).length, "cfg above 20");
  t.ok(errors({ pipeline: "ti2vid_one_stage", video_guidance: { ...g, stg: -1 } }).length);
  t.ok(errors({ pipeline: "ti2vid_one_stage", video_guidance: { ...g, rescale: 1.5 } }).length);
  t.ok(errors({ pipeline: "ti2vid_one_stage", video_guidance: { ...g, stg_blocks: [64] } }).length);
  for (const pipeline of ["distilled", "ic_lora"]) {
    t.match(errors({ pipeline, video_guidance: g }), [/video_guidance: .*no guidance/]);
    t.match(errors({ pipeline, negative_prompt: "blurry" }), [/negative_prompt/]);
    t.match(errors({ pipeline, steps: 8 }), [/steps/]);
  }
});
