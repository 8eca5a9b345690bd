// A wait that ends early when a signal aborts. The worker's idle loop sleeps on one long-lived signal
// (its stop signal) every poll, so the abort listener must go when the timer fires: leaving it attached
// adds one listener per poll for the life of the process (86,400 a day at a 1 s poll).

/** Resolves after `ms`, or at once when `signal` aborts (never rejects); leaves no listener behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
