// The README as tests read it: its fenced code blocks and its links, so that what a newcomer copies is checked.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** Fenced code blocks: [info string, body]. */
export function codeBlocks(text = README): { lang: string; body: string }[] {
  return [...text.matchAll(/^```([^\n]*)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1]!.trim(), body: m[2]! }));
}

/** The one code block whose body starts with `prefix` (throws when there is none or several). */
export function blockStartingWith(prefix: string): string {
  const found = codeBlocks().filter((b) => b.body.startsWith(prefix));
  if (found.length !== 1) throw new Error(`README: ${found.length} code blocks start with ${JSON.stringify(prefix)}`);
  return found[0]!.body;
}
