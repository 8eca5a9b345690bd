// What of an error may be logged or kept in error_logs. Database errors carry the data of the failed query:
// knex prefixed the SQL with its bound values to the message (turned off in db/knex.ts: compileSqlOnError), the
// PostgreSQL error's `detail` quotes the row ("Key (email)=(ada@example.com) already exists."), PGlite attaches
// the query's parameters. So an error is reduced to a safelist of fields, and its message and stack are scrubbed
// of values and of anything that looks like a credential or an email address.
const SAFE_FIELDS = ["code", "errno", "syscall", "severity", "constraint", "table", "column", "schema", "routine", "status"] as const;

const SCRUB: Array<[RegExp, string]> = [
  [/\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}/g, "[bcrypt hash]"],
  [/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, "[jwt]"],
  [/\b(rt|aip|whsec)_[\w-]{12,}/g, "[token]"],
  [/[^\s"'<>()[\]@,;:]+@[^\s"'<>()[\]@,;:]+\.[A-Za-z]{2,}/g, "[email]"],
  // PostgreSQL quoting a value: Key (email)=(...), invalid input syntax for type uuid: "...", ...
  [/\)=\([^\n]*?\)(?= |\.|$)/g, ")=([value])"],
  [/(for type [\w ]+|value|literal|input|character|string): "[^"\n]*"/g, '$1: "[value]"'],
];

/** `text` without values a log must not carry. */
export function scrubText(text: string): string {
  let out = text;
  for (const [re, replacement] of SCRUB) out = out.replace(re, replacement);
  return out;
}

export interface SafeError {
  type: string;
  message: string;
  stack?: string;
  cause?: SafeError;
  [field: string]: unknown;
}

/** The loggable part of `err` (pino serializer for `err`, and what error_logs stores). */
export function safeError(err: unknown, depth = 0): SafeError {
  if (!(err instanceof Error) && (typeof err !== "object" || err === null)) return { type: typeof err, message: scrubText(String(err)).slice(0, 2000) };
  const e = err as Error & Record<string, unknown>;
  const message = scrubText(String(e.message ?? "")).slice(0, 2000);
  const type = e.constructor?.name && e.constructor.name !== "Object" ? e.constructor.name : String(e.name ?? "Error");
  const out: SafeError = { type, message };
  for (const f of SAFE_FIELDS) {
    const v = e[f];
    if (typeof v === "string" || typeof v === "number") out[f] = typeof v === "string" ? scrubText(v).slice(0, 200) : v;
  }
  if (typeof e.stack === "string") {
    // The stack's first lines repeat the message as it was when the error was made (before knex prefixed it).
    const frames = e.stack.split("\n").filter((l) => /^\s+at /.test(l));
    out.stack = [`${String(e.name ?? type)}: ${message}`, ...frames.map(scrubText)].join("\n");
  }
  if (e.cause !== undefined && depth < 3) out.cause = safeError(e.cause, depth + 1);
  return out;
}
