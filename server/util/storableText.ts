// Text that PostgreSQL cannot store: U+0000 (refused in text and in jsonb) and unpaired UTF-16 surrogates (jsonb
// refuses their \uD8xx escapes; in text columns the driver's UTF-8 encoding would silently turn them into U+FFFD).
// Requests carrying them are refused at validation (http/unstorableInput.ts); what is logged or audited has them
// replaced (storable()), so a record of a refused request can still be written.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Why `s` cannot be stored, or undefined when it can. */
export function unstorableReason(s: string): string | undefined {
  const m = UNSTORABLE.exec(s);
  if (!m) return undefined;
  return m[0] === "\u0000"
    ? "must not contain the NUL character (U+0000); remove it"
    : "must be valid Unicode (it contains an unpaired surrogate code unit); send well-formed UTF-16/UTF-8 text";
}

/** `s` with every unstorable character replaced by U+FFFD. */
export const storable = (s: string): string => s.replace(UNSTORABLE_ALL, "\uFFFD");
