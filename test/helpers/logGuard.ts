// Issue 27 item 2, checked on every test server of the suite: what a server logs carries no bound query values,
// hashes, tokens or personal data. Clients record what they send in personal or secret fields and what comes back
// as credentials; startTestServer().close() fails the test when any of it, or anything shaped like an email
// address, a bcrypt hash, a JWT or one of our tokens, is in that server's captured log.
/** Fields of request bodies whose values are personal or secret. */
export const SENT_FIELDS = new Set(["email", "password", "display_name", "name", "description", "prompt", "negative_prompt", "refresh_token", "webhook_url"]);
/** Fields of response bodies that hand out credentials. */
export const CREDENTIAL_FIELDS = new Set(["access_token", "refresh_token", "key"]);
const PATTERNS: Array<[string, RegExp]> = [
  ["email address", /[^\s"'<>()[\]@,;:\\]+@[^\s"'<>()[\]@,;:\\]+\.[A-Za-z]{2,}/],
  ["bcrypt hash", /\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{20,}/],
  ["JWT", /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]*/],
  ["refresh token or API key", /\b(rt|aip)_[\w-]{12,}/],
];

const watched = new Set<string>();

/** Records the values of `fields` anywhere in a request or response body. */
export function watchValues(value: unknown, fields: ReadonlySet<string>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === "string" && fields.has(k) && v.length >= 6) watched.add(v);
    else if (typeof v === "object") watchValues(v, fields, depth + 1);
  }
}

/** What in `lines` a log must not carry (empty when clean). */
export function logLeaks(lines: readonly string[]): string[] {
  const found: string[] = [];
  for (const line of lines) {
    for (const [what, re] of PATTERNS) {
      const m = re.exec(line);
      if (m) found.push(`${what} (${m[0].slice(0, 12)}…) in: ${line.slice(0, 300)}`);
    }
    for (const v of watched) {
      // A JSON log line escapes the value as JSON does.
      if (line.includes(v) || line.includes(JSON.stringify(v).slice(1, -1))) found.push(`a sent value (${v.slice(0, 6)}…) in: ${line.slice(0, 300)}`);
    }
  }
  return found;
}

const reported: string[] = [];

/** Fails the test file (exit code 1, the leaks on stderr) when any server of it logged something it must not. */
export function reportLogLeaks(leaks: readonly string[]): void {
  if (!leaks.length) return;
  if (!reported.length) {
    process.once("exit", () => {
      console.error(`# the server logged personal or secret data (${reported.length}):\n${reported.slice(0, 10).join("\n")}`);
      process.exitCode = 1;
    });
  }
  reported.push(...leaks);
}
