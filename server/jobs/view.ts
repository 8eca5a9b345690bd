// The API shape of a job (schemas/jobs.ts JobSchema) from its row.
import { iso } from "../schemas/common.js";
import type { JobView } from "../schemas/jobs.js";
import type { JobRow } from "../repositories/jobsRepository.js";

const seconds = (a: Date | null, b: Date | null) => (a && b ? Math.max(0, (new Date(b).getTime() - new Date(a).getTime()) / 1000) : null);

export function jobView(j: JobRow, queuePosition: number | null = null): JobView {
  const r = j.result as Record<string, number | string> | null;
  const base = `/api/v1/videos/${j.id}`;
  return {
    id: j.id,
    object: "video.job",
    status: j.status,
    progress: j.progress,
    stage: j.stage,
    // Seconds until the running generation is expected to end (the pipeline's ETA); null when not running.
    eta_seconds: ["processing", "qa_check", "finalizing"].includes(j.status) && j.eta_at ? Math.max(0, Math.round((new Date(j.eta_at).getTime() - Date.now()) / 100) / 10) : null,
    queue_position: j.status === "approved" ? queuePosition : null,
    attempt: j.attempt,
    project_id: j.project_id,
    priority: j.priority,
    params: j.params,
    created_at: iso(j.created_at) as string,
    queued_at: iso(j.queued_at),
    started_at: iso(j.started_at),
    completed_at: iso(j.completed_at),
    expires_at: iso(j.expires_at),
    timings: { queue_seconds: seconds(j.queued_at, j.started_at), run_seconds: seconds(j.started_at, j.completed_at) },
    cost: {
      estimated_micros: j.estimated_cost_micros === null ? null : Number(j.estimated_cost_micros),
      actual_micros: j.actual_cost_micros === null ? null : Number(j.actual_cost_micros),
      gpu_seconds: j.gpu_seconds,
      tier: j.pricing_tier,
    },
    error: j.error_code ? { code: j.error_code, message: j.error_message ?? "" } : null,
    result: r
      ? {
          width: Number(r.width),
          height: Number(r.height),
          frames: Number(r.frames),
          fps: Number(r.fps),
          duration_seconds: Number(r.duration_seconds),
          bytes: Number(r.bytes),
          ...(r.seed !== undefined ? { seed: Number(r.seed) } : {}),
          ...(typeof r.enhanced_prompt === "string" ? { enhanced_prompt: r.enhanced_prompt } : {}),
        }
      : null,
    urls: { self: base, cancel: `${base}/cancel`, events: `${base}/events`, download: `${base}/download` },
  };
}
