// A database a user pointed us at but that cannot be used (nothing listening, unknown host, wrong password, no
// such database, no answer) said in one sentence with its cause and the fix, instead of the driver's error.
/** The error to show for `e` raised while connecting to the database at `location` (a redacted URL). */
export function explainDatabaseError(e: unknown, location: string, who: string): Error {
  const err = e as NodeJS.ErrnoException & { code?: string };
  const code = err?.code ?? "";
  const msg = String(err?.message ?? e);
  const at = `the database at ${location}`;
  const fix = "check DATABASE_URL";
  if (code === "ECONNREFUSED") return new Error(`${who}: nothing accepts connections at ${location} (connection refused): is PostgreSQL running there? ${fix}`);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new Error(`${who}: the host of ${at} does not resolve (${code}); ${fix}`);
  if (code === "28P01" || code === "28000") return new Error(`${who}: ${at} refused the user or password (${msg}); ${fix}`);
  if (code === "3D000") return new Error(`${who}: ${msg} at ${location}; create it (createdb) or ${fix}`);
  if (code === "ETIMEDOUT" || /Timeout acquiring a connection|timeout expired/i.test(msg)) return new Error(`${who}: no answer from ${at} within 10 s; is the address reachable from here? ${fix}`);
  return e instanceof Error ? e : new Error(msg);
}
