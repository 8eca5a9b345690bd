// The library, the CLI and the HTTP API take one set of names and defaults (upstream's): the default pipeline,
// the output size per pipeline (stage 1 for the one-stage pipeline, twice it for the two-stage ones), the frame
// count field (numFrames / --num-frames / num_frames) and its smallest value (8k+1 with k >= 0: 1).
import { execFileSync } from "node:child_process";
import t from "tap";
import { DEFAULT_PIPELINE, ensureTinyModels, generationDefaults, inspectModels, MIN_FRAMES, PIPELINES, resolveParams } from "../../src/pipelines/index.js";
import { resolveParams as planParams } from "../../server/jobs/planner.js";
import { GenerationParamsSchema } from "../../server/schemas/generationParams.js";
import type { GenerateInput } from "../../server/schemas/jobs.js";

const models = inspectModels(ensureTinyModels());

t.test("one default pipeline", async (t) => {
  t.equal(DEFAULT_PIPELINE, "distilled");
  t.equal(planParams({} as GenerateInput, undefined).pipeline, DEFAULT_PIPELINE, "API: a request without a pipeline");
  t.equal(resolveParams({ prompt: "x", output: "/tmp/x.mp4" }, models).pipeline, DEFAULT_PIPELINE, "library: generate() without a pipeline");
  const help = execFileSync(process.execPath, ["--import=tsx", "src/cli/run.ts", "generate", "--help"], { encoding: "utf8" });
  t.match(help, new RegExp(`--pipeline <name>[\\s\\S]*default: "${DEFAULT_PIPELINE}"`), "CLI: --pipeline's default");
  t.match(help, /--num-frames <n>/, "CLI: the frame count is --num-frames");
  t.notMatch(help, /--frames /, "and nothing else");
});

t.test("one size per pipeline: upstream's", async (t) => {
  for (const pipeline of PIPELINES) {
    const d = generationDefaults(pipeline);
    const two = pipeline !== "ti2vid_one_stage";
    t.same([d.width, d.height], two ? [1536, 1024] : [768, 512], `${pipeline}: upstream's ${two ? "stage_2" : "stage_1"} size`);
    const api = GenerationParamsSchema.parse({ pipeline });
    t.same([api.width, api.height, api.num_frames, api.fps, api.seed], [d.width, d.height, d.numFrames, d.frameRate, d.seed], `API defaults for ${pipeline}`);
    if (pipeline === "ic_lora" || pipeline === "keyframe_interpolation") continue; // need inputs to resolve
    const lib = resolveParams({ pipeline, prompt: "x", output: "/tmp/x.mp4" }, models);
    t.same([lib.width, lib.height, lib.numFrames, lib.fps, lib.seed], [api.width, api.height, api.num_frames, api.fps, api.seed], `library defaults for ${pipeline}`);
  }
});

t.test("one smallest frame count", async (t) => {
  t.equal(MIN_FRAMES, 1);
  t.equal(GenerationParamsSchema.parse({ pipeline: "distilled", num_frames: 1 }).num_frames, 1, "API accepts 1 frame");
  t.equal(resolveParams({ prompt: "x", output: "/tmp/x.mp4", numFrames: 1 }, models).numFrames, 1, "library too");
  const r = GenerationParamsSchema.safeParse({ pipeline: "distilled", num_frames: 1, fps: 50 });
  t.match(r.success ? "" : r.error.issues[0]!.message, /shorter than one audio latent frame/, "1 frame at 50 fps has no audio latent: refused before a job exists");
});
