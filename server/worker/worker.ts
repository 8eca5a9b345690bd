// One worker: claims a job (FOR UPDATE SKIP LOCKED), holds its lease with heartbeats, runs it through the
// generation backend with progress and cancellation, checks the output (QA, retried with a new seed a bounded
// number of times) and settles it through JobLifecycle, every settle fenced by the attempt it claimed.
import { rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { JobsConfig } from "../config.js";
import type { JobLifecycle, Hold } from "../jobs/lifecycle.js";
import { isFinished, type JobState } from "../jobs/stateMachine.js";
import type { Storage } from "../jobs/storage.js";
import type { Metrics } from "../metrics.js";
import type { JobRow, JobsRepository } from "../repositories/jobsRepository.js";
import type { UploadsRepository } from "../repositories/uploadsRepository.js";
import type { WorkersRepository } from "../repositories/workersRepository.js";
import { GenerationParamsSchema, type GenerationParams } from "../schemas/generationParams.js";
import type { GenerationBackend, GenerationInputs, ProgressUpdate } from "./backend.js";
import { withDevice } from "./deviceLock.js";
import { inspectVideo, type QaVerdict } from "./qa.js";
import { sleep } from "../util/sleep.js";
import { costMicros } from "../billing/pricing.js";
import { LeaseLostError, retryWhileLeased } from "./retryWhileLeased.js";
import { isDatabaseUnavailable } from "../db/unavailable.js";

export interface WorkerDeps {
  id: string;
  jobs: JobsRepository;
  workers: WorkersRepository;
  uploads: UploadsRepository;
  lifecycle: JobLifecycle;
  storage: Storage;
  backend: GenerationBackend;
  config: JobsConfig;
  device: string;
  logger: Logger;
  metrics?: Metrics;
  /** Output inspection; the default decodes the MP4 (qa.ts). */
  qa?: (path: string, p: GenerationParams) => Promise<QaVerdict>;
}

/** Progress ranges per stage: the bar moves forward through the pipeline, never back. */
const STAGE_RANGES: Record<string, [number, number]> = {
  starting: [0, 2],
  // the pipelines' stage names (src/pipelines/run.ts)
  text: [2, 6],
  images: [6, 7],
  conditioning: [7, 8],
  stage1: [8, 70],
  upsample: [70, 74],
  conditioning2: [74, 75],
  stage2: [75, 88],
  audio: [88, 90],
  decode: [90, 96],
  // generic names (other backends)
  encode_prompt: [2, 6],
  denoise: [8, 80],
  encode_media: [96, 97],
};

class Stop extends Error {
  constructor(readonly why: "cancel" | "lost" | "shutdown" | "budget") {
    super(why);
  }
}

export class Worker {
  private running = false;
  private loop?: Promise<void>;
  private readonly wake = new AbortController();
  private current?: { hold: Hold; abort: AbortController };
  /** Completed job ids of this worker (tests read it; bounded). */
  readonly completed: string[] = [];

  /** JOB_TIER_QUOTAS' running limits, by tier. */
  private readonly runningPerTier: Record<string, number>;

  constructor(private readonly d: WorkerDeps) {
    this.runningPerTier = Object.fromEntries(
      Object.entries(d.config.tierQuotas ?? {}).flatMap(([tier, q]) => (q.running !== undefined ? [[tier, q.running]] : [])),
    );
  }

  get id(): string {
    return this.d.id;
  }

  async start(): Promise<void> {
    await this.d.workers.register({ id: this.d.id, hostname: hostname(), pid: process.pid, device: this.d.device });
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let errors = 0;
    let lastBeat = 0;
    while (this.running) {
      try {
        if (Date.now() - lastBeat > this.d.config.heartbeatMs) {
          await this.d.workers.beat(this.d.id, "idle", null);
          lastBeat = Date.now();
        }
        const worked = await withDevice(this.d.device, async () => {
          if (!this.running) return false;
          const job = await this.d.jobs.claim(this.d.id, this.d.config.leaseMs / 1000, this.d.config.maxRunningPerUser, this.runningPerTier);
          if (!job) return false;
          await this.execute(job);
          return true;
        });
        errors = 0;
        if (!worked) await sleep(this.d.config.pollMs, this.wake.signal);
      } catch (e) {
        errors += 1;
        // Database outages land here: keep trying with backoff; the lease reaper covers anything half done.
        if (errors === 1 || errors % 20 === 0) this.d.logger.error({ err: e, worker: this.d.id, errors }, "worker loop error; retrying");
        await sleep(Math.min(5000, 100 * 2 ** Math.min(errors, 6)), this.wake.signal);
      }
    }
  }

  /** Stops claiming; waits up to timeoutMs for the job in hand, then stops it and returns it to the queue. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.running && !this.loop) return;
    this.running = false;
    this.wake.abort();
    const deadline = setTimeout(() => this.current?.abort.abort(new Stop("shutdown")), timeoutMs);
    try {
      await this.loop;
    } finally {
      clearTimeout(deadline);
      this.loop = undefined;
    }
    await this.d.workers.stopped(this.d.id).catch(() => undefined);
  }

  private async inputsFor(job: JobRow, p: Record<string, unknown>): Promise<GenerationInputs> {
    const images = (p.images as Array<{ upload_id: string; frame_index: number; strength: number }> | undefined) ?? [];
    const loras = (p.loras as Array<{ upload_id?: string; name?: string; strength: number }> | undefined) ?? [];
    const ids = [...images.map((i) => i.upload_id), ...loras.flatMap((l) => (l.upload_id ? [l.upload_id] : []))];
    const rows = ids.length ? await this.d.uploads.findManyOwned(job.user_id, ids) : [];
    const path = (id: string) => {
      const r = rows.find((x) => x.id === id);
      if (!r) throw new Error(`upload ${id} is gone`);
      return r.path;
    };
    return {
      images: images.map((i) => ({ path: path(i.upload_id), frame_index: i.frame_index, strength: i.strength })),
      loras: loras.map((l) => ({ path: l.upload_id ? path(l.upload_id) : this.d.storage.loraPath(l.name as string), strength: l.strength })),
    };
  }

  private async execute(job: JobRow): Promise<void> {
    const { config, jobs, lifecycle, logger, metrics } = this.d;
    const hold: Hold = { jobId: job.id, attempt: job.attempt, workerId: this.d.id };
    const abort = new AbortController();
    this.current = { hold, abort };
    let state: JobState = "processing";
    const log = logger.child({ job: job.id, attempt: job.attempt, worker: this.d.id });
    const pipeline = String(job.params.pipeline);
    if (job.queued_at) metrics?.jobQueueSeconds.observe({ pipeline }, Math.max(0, (Date.now() - new Date(job.queued_at).getTime()) / 1000));
    await this.d.workers.beat(this.d.id, "busy", job.id).catch(() => undefined);

    const stopWith = (why: Stop["why"]) => {
      if (!abort.signal.aborted) abort.abort(new Stop(why));
    };
    const onLocalCancel = () => stopWith("cancel");
    lifecycle.cancels.on(job.id, onLocalCancel);
    // The lease as this worker last renewed it: writes that meet an outage are retried until then.
    let leaseUntil = Date.now() + config.leaseMs;
    const lease = { leaseUntil: () => leaseUntil };
    const persist = <T>(what: string, write: () => Promise<T>) =>
      retryWhileLeased(what, write, lease, (e, tries) => {
        if (tries === 1) log.warn({ err: e, write: what }, "database unavailable; retrying the write while the lease holds");
      });
    const heartbeat = setInterval(() => {
      const sent = Date.now();
      jobs.heartbeat(job.id, job.attempt, this.d.id, config.leaseMs / 1000).then(
        (r) => {
          if (r) leaseUntil = sent + config.leaseMs;
          if (!r) stopWith("lost");
          else if (r.cancel_requested_at) stopWith("cancel");
        },
        (e: unknown) => log.warn({ err: e }, "heartbeat failed"),
      );
    }, config.heartbeatMs);
    const cancelPoll = setInterval(() => {
      jobs.cancelRequested(job.id, job.attempt).then(
        (r) => {
          if (r?.cancel_requested_at) stopWith("cancel");
        },
        () => undefined,
      );
    }, config.cancelPollMs);

    // The budget guard (billing/budgetGuard.ts): stop at the next progress report once the cost so far passes
    // what the job may cost. The allowance is read once per attempt; the completion caps the charge anyway.
    const allowance = await lifecycle.budgetAllowance(job).catch(() => Infinity);
    let gpuSeconds = 0;
    let roundStart = process.hrtime.bigint();
    const overBudget = () => costMicros(gpuSeconds + Number(process.hrtime.bigint() - roundStart) / 1e9, job.pricing_tier) > allowance;

    let progress = 0;
    let lastWrite = 0;
    let stage = "starting";
    let stageStart = Date.now();
    let etaAt: Date | null = null;
    const onProgress = (u: ProgressUpdate) => {
      if (abort.signal.aborted) return;
      if (overBudget()) {
        stopWith("budget");
        return;
      }
      if (u.total !== undefined && u.total > 0 && u.done !== undefined) {
        // The backend planned the whole job's work: its share done is the progress (2..97; QA and finalizing
        // follow), and its ETA is when the generation should end.
        progress = Math.max(progress, Math.round(2 + 95 * Math.min(1, Math.max(0, u.done / u.total))));
        etaAt = u.etaSeconds !== undefined && Number.isFinite(u.etaSeconds) ? new Date(Date.now() + 1000 * u.etaSeconds) : null;
      } else {
        const range = STAGE_RANGES[u.stage] ?? [progress, Math.min(97, progress + 1)];
        const frac = u.steps > 0 ? Math.min(1, Math.max(0, u.step / u.steps)) : 1;
        progress = Math.max(progress, Math.round(range[0] + (range[1] - range[0]) * frac));
      }
      if (u.stage !== stage) {
        metrics?.jobStageSeconds.observe({ stage }, (Date.now() - stageStart) / 1000);
        stage = u.stage;
        stageStart = Date.now();
      }
      const now = Date.now();
      if (now - lastWrite >= 200 || u.step === u.steps) {
        lastWrite = now;
        jobs.progress(job.id, job.attempt, this.d.id, progress, u.stage, etaAt).then(
          (held) => {
            if (!held) stopWith("lost");
          },
          () => undefined,
        );
      }
    };

    const written: string[] = [];
    let done = false;
    try {
      const { images: _images, loras: _loras, ...generation } = job.params;
      const params = GenerationParamsSchema.parse(generation) as GenerationParams;
      const inputs = await this.inputsFor(job, job.params);
      let seed = params.seed;
      for (let round = 0; ; round++) {
        const outputPath = this.d.storage.outputPath(job.id, job.attempt, round);
        written.push(outputPath);
        roundStart = process.hrtime.bigint();
        const res = await this.d.backend.generate({ ...params, seed }, { signal: abort.signal, onProgress, outputPath, inputs, device: this.d.device });
        gpuSeconds += Number(process.hrtime.bigint() - roundStart) / 1e9;
        roundStart = process.hrtime.bigint();
        if (abort.signal.aborted) throw abort.signal.reason;
        metrics?.jobStageSeconds.observe({ stage }, (Date.now() - stageStart) / 1000);
        const generated = state;
        if (!(await persist("processing -> qa_check", () => lifecycle.toState(hold, generated, "qa_check", { progress: 97, stage: "qa_check" }, `generated by ${this.d.backend.name}`)))) throw new Stop("lost");
        state = "qa_check";
        const q0 = Date.now();
        const verdict = await (this.d.qa ?? ((p, want) => inspectVideo(p, { width: want.width, height: want.height, frames: want.num_frames, fps: want.fps })))(res.outputPath, params);
        metrics?.jobStageSeconds.observe({ stage: "qa_check" }, (Date.now() - q0) / 1000);
        if (abort.signal.aborted) throw abort.signal.reason;
        if (!verdict.ok) {
          const failed = verdict.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join("; ");
          if (round < config.qaMaxRetries) {
            seed = (seed + 1_000_003 * (round + 1)) % 2 ** 32;
            log.warn({ failed, next_seed: seed }, "QA failed; generating again with a new seed");
            const retrySeed = seed;
            if (!(await persist("qa_check -> processing", () => lifecycle.toState(hold, "qa_check", "processing", { stage: "starting", progress: 0, qa_retries: round + 1 }, "QA failed: new seed", { failed, seed: retrySeed })))) throw new Stop("lost");
            state = "processing";
            progress = 0;
            continue;
          }
          await persist("qa_check -> failed", () => lifecycle.fail(hold, "qa_check", "qa.failed", `output failed QA after ${round + 1} tries: ${failed}`, false));
          return;
        }
        if (!(await persist("qa_check -> finalizing", () => lifecycle.toState(hold, "qa_check", "finalizing", { progress: 99, stage: "finalizing" }, "QA passed", { checks: verdict.checks.length })))) throw new Stop("lost");
        state = "finalizing";
        const bytes = statSync(res.outputPath).size;
        const completion = {
          outputPath: res.outputPath,
          bytes,
          gpuSeconds,
          device: this.d.device,
          result: { width: res.width, height: res.height, frames: res.frames, fps: res.fps, duration_seconds: res.durationSeconds, seed,
            ...(res.enhancedPrompt !== undefined ? { enhanced_prompt: res.enhancedPrompt } : {}) },
          metadata: { ...res.metadata, backend: this.d.backend.name, qa: verdict.checks },
        };
        let ok: boolean | undefined;
        while (ok === undefined) {
          try {
            ok = await lifecycle.complete(hold, completion);
          } catch (e) {
            // The commit may have gone through before the error (e.g. the connection dropped while COMMIT was
            // acknowledged): the job is then completed and charged, and deleting `written` below would delete its
            // video. Ask again (through the outage, while the lease holds); when the answer is unknown too, keep
            // the files (a stray file beats a lost output).
            const now = await persist("read back the completion", () => jobs.findById(job.id)).catch(() => undefined);
            if (!now) {
              written.splice(written.indexOf(res.outputPath), 1);
              throw e;
            }
            const ours = now.attempt === hold.attempt && now.worker_id === hold.workerId;
            if (ours && now.status === "completed") {
              log.warn({ err: e }, "the completion reported an error but was committed; the output is kept");
              ok = true;
            } else if (ours && now.status === "finalizing" && isDatabaseUnavailable(e) && Date.now() + 200 < leaseUntil) {
              await sleep(200); // not committed and still ours: complete again
            } else throw e;
          }
        }
        if (!ok) throw new Stop("lost");
        done = true;
        written.splice(written.indexOf(res.outputPath), 1);
        if (this.completed.length < 100_000) this.completed.push(job.id);
        log.info({ gpu_seconds: gpuSeconds, bytes }, "job completed");
        return;
      }
    } catch (e) {
      const reason = abort.signal.aborted ? abort.signal.reason : e instanceof LeaseLostError ? new Stop("lost") : e;
      if (reason instanceof Stop) {
        const at = state;
        if (reason.why === "cancel") await persist("cancelled", () => lifecycle.workerCancelled(hold, at));
        else if (reason.why === "budget") {
          log.warn({ allowance_micros: allowance }, "stopped: the job's cost reached its user's remaining monthly budget");
          await persist("budget stop", () => lifecycle.fail(hold, at, "billing.budget_exceeded", "Stopped: the job's cost reached your remaining monthly budget (nothing was charged)", false));
        }
        else if (reason.why === "shutdown") await persist("release", () => lifecycle.release(hold, at));
        else log.warn("lost the lease (reclaimed or fenced); the result of this attempt is dropped");
        return;
      }
      const err = e as Error & { retryable?: boolean; code?: string };
      const retryable = err.retryable ?? !(err.name === "ZodError");
      const code = typeof err.code === "string" && /^[a-z_.]+$/.test(err.code) ? err.code : retryable ? "generation.error" : "generation.invalid";
      log.error({ err: e, retryable }, "generation failed");
      const at = state;
      await persist("failed", () => lifecycle.fail(hold, at, code, err.message ?? String(e), retryable));
    } finally {
      clearInterval(heartbeat);
      clearInterval(cancelPoll);
      lifecycle.cancels.off(job.id, onLocalCancel);
      for (const f of written) rmSync(f, { force: true });
      if (!done) {
        // Removing the files left the failed or cancelled job's outputs/<jobId>/ folder behind, empty, forever.
        // Only once the job has finished: a job back in the queue (retry, release, lost lease) may be running
        // again elsewhere, with this folder created and its file not yet written.
        const now = await jobs.findById(job.id).catch(() => undefined);
        if (now && isFinished(now.status) && now.status !== "completed") {
          try {
            this.d.storage.removeJobDirIfEmpty(job.id);
          } catch (e) {
            log.warn({ err: e }, "could not remove the output folder");
          }
        }
      }
      this.current = undefined;
      await this.d.workers.beat(this.d.id, "idle", null).catch(() => undefined);
    }
  }
}
