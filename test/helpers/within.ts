// Tests of code that used to hang: how a promise ends within a deadline, without the test itself hanging.

/** value when settled, error when rejected. */
export interface Within<T> {
  outcome: "settled" | "rejected" | "hung";
  value?: T;
  error?: unknown;
}

/** "settled" (with the value) or "rejected" (with the error) when `p` ends within `ms`, else "hung". */
export async function within<T>(p: Promise<T>, ms = 3000): Promise<Within<T>> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race<Within<T>>([
    p.then((value) => ({ outcome: "settled" as const, value }), (error: unknown) => ({ outcome: "rejected" as const, error })),
    new Promise<Within<T>>((res) => (timer = setTimeout(() => res({ outcome: "hung" }), ms))),
  ]);
  clearTimeout(timer);
  return r;
}
