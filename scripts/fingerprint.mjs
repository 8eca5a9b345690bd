// What a build step was made from: a hash of its input files and settings. The install and prepare steps store
// it next to their output and stop at once when it has not changed, so `npx aiprod` in the repository (npm
// re-runs both there) and `npm install` on an unchanged tree answer in well under a second.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

function files(root, entry, out) {
  const p = join(root, entry);
  if (!existsSync(p)) return;
  if (statSync(p).isDirectory()) {
    for (const name of readdirSync(p).sort()) files(root, join(entry, name), out);
  } else {
    out.push(p);
  }
}

/** sha256 over `settings` (JSON) and the contents of `entries` (files or folders, relative to `root`). */
export function fingerprint(root, entries, settings) {
  const h = createHash("sha256");
  h.update(JSON.stringify(settings));
  const list = [];
  for (const e of entries) files(root, e, list);
  for (const f of list) {
    h.update(relative(root, f));
    h.update("\0");
    h.update(readFileSync(f));
    h.update("\0");
  }
  return h.digest("hex");
}

/** The JSON object stored at `path`, or undefined when it is absent or unreadable. */
export function readStamp(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}
