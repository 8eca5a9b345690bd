// The real pipelines behind the worker: one job per pipeline kind that the tiny built-in model set can run,
// through the HTTP API, in-process workers and QA (the tiny models' output is noise, which QA accepts as
// neither blank nor frozen). Also the parameter mapping and a cancel that the library honours.
import t from "tap";
import { GenerationParamsSchema } from "../../server/schemas/generationParams.js";
import { PipelineBackend, toLibraryParams } from "../../server/worker/pipelineBackend.js";
import { ensureTinyModels } from "../../src/pipelines/index.js";
import { backendJobServer, finished, waitForJob } from "../helpers/jobs.js";

t.test("parameter mapping", async (t) => {
  const p = GenerationParamsSchema.parse({ pipeline: "ti2vid_one_stage", prompt: "a cat", negative_prompt: "blur", width: 128, height: 96, num_frames: 17, fps: 12, steps: 5, seed: 3, video_guidance: { cfg: 3, stg: 1, stg_blocks: [2] } });
  const lib = toLibraryParams(p, { outputPath: "/tmp/x.mp4", inputs: { images: [{ path: "/tmp/a.png", frame_index: 8, strength: 0.5 }], loras: [] } });
  t.same(lib, {
    pipeline: "ti2vid_one_stage", prompt: "a cat", negativePrompt: "blur", seed: 3, width: 128, height: 96, numFrames: 17, fps: 12, steps: 5,
    images: [{ source: "/tmp/a.png", frame: 8, strength: 0.5 }],
    videoGuidance: { cfgScale: 3, stgScale: 1, rescaleScale: 0, modalityScale: 1, stgBlocks: [2] },
    output: "/tmp/x.mp4",
  });
  const d = toLibraryParams(GenerationParamsSchema.parse({ pipeline: "distilled", prompt: "x", width: 128, height: 128, num_frames: 9 }), { outputPath: "/o.mp4", inputs: { images: [], loras: [] } });
  t.equal(d.steps, undefined, "distilled schedules are fixed");
});

t.test("a distilled job on the tiny model set, end to end", async (t) => {
  const backend = new PipelineBackend(ensureTinyModels(), "cpu");
  const { tdb, ts } = await backendJobServer(t, backend);
  const u = await ts.client.user();
  const r = await ts.client.post("/api/v1/videos/generate", { prompt: "a red fox running through snow", pipeline: "distilled", width: 128, height: 128, num_frames: 9, fps: 8 }, { token: u.access });
  t.equal(r.status, 202, r.text);
  const stages = new Set<string>();
  const deadline = Date.now() + 240_000;
  let job: any;
  while (Date.now() < deadline) {
    job = (await ts.client.get(`/api/v1/videos/${r.body.id}`, { token: u.access })).body;
    if (job.stage) stages.add(job.stage);
    if (finished(job)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  t.equal(job.status, "completed", JSON.stringify(job.error));
  t.same([job.result.width, job.result.height, job.result.frames], [128, 128, 9]);
  t.ok(stages.has("stage1") || stages.has("stage2") || stages.has("decode"), `library stages seen: ${[...stages].join(", ")}`);
  const res = await tdb.db.knex("job_results").where({ job_id: job.id }).first();
  t.equal(res.metadata.backend, "aiprod-pipelines");
  t.ok(Object.keys(res.metadata.model_hashes).length > 0, "model hashes recorded");
  t.ok(res.metadata.qa.every((c: any) => c.ok), "QA passed on the real output");

  // Cancel while the library runs: the job ends cancelled.
  const c = await ts.client.post("/api/v1/videos/generate", { prompt: "a cat", pipeline: "distilled", width: 128, height: 128, num_frames: 9, fps: 8, seed: 5 }, { token: u.access });
  await waitForJob(ts.client, u.access, c.body.id, (j) => j.status === "processing" && j.progress >= 8, 120_000);
  await ts.client.post(`/api/v1/videos/${c.body.id}/cancel`, undefined, { token: u.access });
  const cancelled = await waitForJob(ts.client, u.access, c.body.id, finished, 120_000);
  t.equal(cancelled.status, "cancelled");
});
