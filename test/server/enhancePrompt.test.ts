// enhance_prompt in the videos API: the schemas accept only a boolean (also in presets and cost estimates), the
// planner keeps it, the pipeline backend passes it to the library as enhancePrompt and reports Gemma's rewrite in
// the job result (enhanced_prompt) and the result metadata.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { resolveParams } from "../../server/jobs/planner.js";
import { jobView } from "../../server/jobs/view.js";
import type { JobRow } from "../../server/repositories/jobsRepository.js";
import { EstimateBody } from "../../server/schemas/billing.js";
import { GenerationParamsSchema } from "../../server/schemas/generationParams.js";
import { GenerateBody, JobSchema } from "../../server/schemas/jobs.js";
import { PipelineBackend, toLibraryParams } from "../../server/worker/pipelineBackend.js";
import { writeTinyModels } from "../../src/pipelines/tinyModels.js";
import { backendJobServer, finished, waitForJob } from "../helpers/jobs.js";

t.test("schemas: enhance_prompt is an optional boolean", async (t) => {
  for (const schema of [GenerateBody, EstimateBody]) {
    t.equal(schema.parse({ prompt: "a cat", enhance_prompt: true }).enhance_prompt, true);
    t.equal(schema.parse({ prompt: "a cat", enhance_prompt: false }).enhance_prompt, false);
    t.equal(schema.parse({ prompt: "a cat" }).enhance_prompt, undefined);
    for (const bad of ["true", 1, null]) {
      const r = schema.safeParse({ prompt: "a cat", enhance_prompt: bad });
      t.notOk(r.success, `${JSON.stringify(bad)} refused`);
      if (!r.success) t.same(r.error.issues.map((i) => i.path.join(".")), ["enhance_prompt"]);
    }
  }
  t.equal(GenerationParamsSchema.parse({ pipeline: "distilled", enhance_prompt: true }).enhance_prompt, true, "presets may carry it");
  t.notOk(GenerationParamsSchema.safeParse({ pipeline: "distilled", enhance_prompt: "yes" }).success);
});

t.test("OpenAPI: documented on the request and the job result", async (t) => {
  const registry = new OpenAPIRegistry();
  registry.register("GenerateVideoRequest", GenerateBody);
  registry.register("VideoJob", JobSchema);
  const doc = new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: "3.1.0", info: { title: "t", version: "0" } }) as any;
  const schemas = doc.components.schemas;
  t.match(schemas.GenerateVideoRequest.properties.enhance_prompt, { type: "boolean", description: /enhance-prompt/ });
  t.notOk(schemas.GenerateVideoRequest.required.includes("enhance_prompt"));
  const result = JSON.stringify(schemas.VideoJob.properties.result ?? schemas.VideoJob);
  t.match(result, /enhanced_prompt/);
});

t.test("the planner keeps it (over a preset's) and the backend maps it to enhancePrompt", async (t) => {
  const p = resolveParams(GenerateBody.parse({ prompt: "a cat", pipeline: "distilled", width: 128, height: 128, num_frames: 9, enhance_prompt: true }), undefined);
  t.equal(p.enhance_prompt, true);
  t.equal(resolveParams(GenerateBody.parse({ prompt: "a cat", enhance_prompt: false }), { pipeline: "distilled", enhance_prompt: true }).enhance_prompt, false, "the request overrides the preset");
  t.equal(resolveParams(GenerateBody.parse({ prompt: "a cat" }), { pipeline: "distilled", enhance_prompt: true }).enhance_prompt, true, "from the preset");
  const inputs = { images: [], loras: [] };
  t.equal(toLibraryParams(p, { outputPath: "/o.mp4", inputs }).enhancePrompt, true);
  t.notOk("enhancePrompt" in toLibraryParams({ ...p, enhance_prompt: false }, { outputPath: "/o.mp4", inputs }));
  t.notOk("enhancePrompt" in toLibraryParams(GenerationParamsSchema.parse({ pipeline: "distilled", prompt: "x" }), { outputPath: "/o.mp4", inputs }));
});

t.test("the job view shows the result's enhanced_prompt", async (t) => {
  const now = new Date();
  const row = {
    id: "00000000-0000-4000-8000-000000000001", status: "completed", progress: 100, stage: "done", attempt: 1, project_id: null, priority: 0, params: { enhance_prompt: true },
    created_at: now, queued_at: now, started_at: now, completed_at: now, expires_at: now, estimated_cost_micros: null, actual_cost_micros: null, gpu_seconds: 1, pricing_tier: "standard",
    error_code: null, error_message: null, result: { width: 64, height: 64, frames: 9, fps: 24, duration_seconds: 0.375, bytes: 10, seed: 3, enhanced_prompt: "A fox trots." },
  } as unknown as JobRow;
  const v = jobView(row);
  t.equal(v.result?.enhanced_prompt, "A fox trots.");
  t.ok(JobSchema.safeParse(v).success, "the view matches JobSchema");
  t.notOk("enhanced_prompt" in jobView({ ...row, result: { width: 64, height: 64, frames: 9, fps: 24, duration_seconds: 0.375, bytes: 10 } } as JobRow).result!);
});

t.test("PipelineBackend on the tiny models: the rewrite comes back in the result and its metadata", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-enhance-api-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const backend = new PipelineBackend(writeTinyModels(join(dir, "models")), "cpu");
  const params = GenerationParamsSchema.parse({ pipeline: "distilled", prompt: "a red fox", width: 64, height: 64, num_frames: 9, seed: 3, enhance_prompt: true });
  const stages = new Set<string>();
  const r = await backend.generate(params, { signal: new AbortController().signal, onProgress: (p) => stages.add(p.stage), outputPath: join(dir, "a.mp4"), inputs: { images: [], loras: [] }, device: "cpu" });
  t.type(r.enhancedPrompt, "string");
  t.not(r.enhancedPrompt, "a red fox");
  t.equal(r.metadata.enhanced_prompt, r.enhancedPrompt);
  t.ok(stages.has("enhance"), "the enhance stage is reported as job progress");
  const plain = await backend.generate({ ...params, enhance_prompt: false }, { signal: new AbortController().signal, onProgress: () => {}, outputPath: join(dir, "b.mp4"), inputs: { images: [], loras: [] }, device: "cpu" });
  t.notOk("enhancedPrompt" in plain);
  t.notOk("enhanced_prompt" in plain.metadata);

  // Through the API and an in-process worker: the finished job shows the rewrite; params keep the request's flag.
  const { tdb, ts } = await backendJobServer(t, backend);
  const u = await ts.client.user();
  const res = await ts.client.post("/api/v1/videos/generate", { prompt: "a red fox", pipeline: "distilled", width: 64, height: 64, num_frames: 9, fps: 8, seed: 3, enhance_prompt: true }, { token: u.access });
  t.equal(res.status, 202, res.text);
  t.equal(res.body.params.enhance_prompt, true);
  const job = await waitForJob(ts.client, u.access, res.body.id, finished, 120_000);
  t.equal(job.status, "completed", JSON.stringify(job.error));
  t.equal(job.result.enhanced_prompt, r.enhancedPrompt, "same seed: the same rewrite as the direct run");
  const row = await tdb.db.knex("job_results").where({ job_id: job.id }).first();
  t.equal(row.metadata.enhanced_prompt, r.enhancedPrompt);
  const bad = await ts.client.post("/api/v1/videos/generate", { prompt: "a red fox", pipeline: "distilled", enhance_prompt: "yes" }, { token: u.access });
  t.equal(bad.status, 422, "a non-boolean enhance_prompt is refused");
});
