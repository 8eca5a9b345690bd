// The job state machine, in one place. Every status change goes through JobsRepository.transition(), which
// asks canTransition() first and writes a job_events row in the same transaction; nothing else updates `status`.
//
//   received -> planning -> approved -> processing -> qa_check -> finalizing -> completed -> (expired)
//   received/planning/approved/processing/qa_check -> cancelled
//   received/planning/processing/qa_check/finalizing -> failed
//   processing/qa_check/finalizing -> approved   (retry with backoff, lease expired, released at shutdown)
//   qa_check -> processing                        (QA failed: run again with a new seed, same attempt)
//   approved -> expired                           (waited in the queue past its deadline; never started)
//   completed -> expired                          (the output's retention ended; the file is removed)
export const JOB_STATES = [
  "received",
  "planning",
  "approved",
  "processing",
  "qa_check",
  "finalizing",
  "completed",
  "failed",
  "cancelled",
  "expired",
] as const;
export type JobState = (typeof JOB_STATES)[number];

const NEXT: Record<JobState, readonly JobState[]> = {
  received: ["planning", "cancelled", "failed"],
  planning: ["approved", "cancelled", "failed"],
  approved: ["processing", "cancelled", "expired"],
  processing: ["qa_check", "approved", "cancelled", "failed"],
  qa_check: ["finalizing", "processing", "approved", "cancelled", "failed"],
  finalizing: ["completed", "approved", "failed"],
  completed: ["expired"],
  failed: [],
  cancelled: [],
  expired: [],
};

/** States a worker holds under a lease. */
export const LEASED_STATES: readonly JobState[] = ["processing", "qa_check", "finalizing"];
/** States in which the job has not finished (a cancel may still apply). */
export const ACTIVE_STATES: readonly JobState[] = ["received", "planning", "approved", "processing", "qa_check", "finalizing"];
/** The job will not change any more, except completed -> expired when its output's retention ends. */
export const FINISHED_STATES: readonly JobState[] = ["completed", "failed", "cancelled", "expired"];

export function canTransition(from: JobState, to: JobState): boolean {
  return NEXT[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(readonly from: JobState, readonly to: JobState) {
    super(`illegal job transition ${from} -> ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function assertTransition(from: JobState, to: JobState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/** True for completed, failed, cancelled and expired. */
export const isFinished = (s: JobState) => FINISHED_STATES.includes(s);
