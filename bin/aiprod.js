#!/usr/bin/env node
// Entry point of the `aiprod` command: runs the compiled CLI (npm install builds it into dist/).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = new URL("../dist/src/cli/run.js", import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error("aiprod: the TypeScript build is missing (dist/). Run `npm run build` in the aiprod folder.");
  process.exit(1);
}
await import(cli.href);
