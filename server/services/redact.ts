// Removes secrets from anything that is logged or audited: values under secret-looking keys are replaced, long
// strings are cut, depth and size are bounded.
// webhook_url: receivers often put a token in the URL (path or query).
// Strings are made storable (NUL and unpaired surrogates replaced): the audit row of a request refused for
// carrying them must still be written (audit details are jsonb).
import { storable } from "../util/storableText.js";

const SECRET_KEY = /pass(word)?|token|secret|authorization|cookie|api[_-]?key|^key$|pepper|credential|webhook_url/i;
export const REDACTED = "[REDACTED]";

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object") {
    if (typeof value !== "string") return value;
    return storable(value.length > 500 ? `${value.slice(0, 500)}…` : value);
  }
  if (depth > 5) return "[…]";
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, 50)) {
    out[storable(k)] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}
