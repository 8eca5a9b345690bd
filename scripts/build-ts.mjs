#!/usr/bin/env node
// `npm run build` and `prepare`: compiles the TypeScript into dist/ with tsc, unless dist/ was built from exactly
// these sources and settings (then it says so and stops: npm runs `prepare` again for `npx aiprod` in the
// repository). `--force` always compiles.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fingerprint, readStamp } from "./fingerprint.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stampPath = join(root, "dist", ".build-stamp.json");
const inputs = ["src", "server", "migrations", "tsconfig.json", "tsconfig.build.json", "package.json"];
const fp = fingerprint(root, inputs, { node: process.versions.node.split(".")[0] });

if (process.argv.includes("--print-fingerprint")) {
  console.log(fp);
  process.exit(0);
}

if (!process.argv.includes("--force") && existsSync(join(root, "dist", "src", "cli", "run.js")) && readStamp(stampPath)?.fingerprint === fp) {
  console.log("aiprod: TypeScript build up to date (dist/); nothing to compile");
  process.exit(0);
}

// tsc from the dependencies when they are installed (a development checkout); a package installed from the
// registry ships dist/ and never gets here.
const require = createRequire(join(root, "package.json"));
let tsc;
try {
  tsc = require.resolve("typescript/bin/tsc");
} catch {
  console.error("aiprod: cannot compile: TypeScript is not installed here (run `npm install` in the aiprod folder first)");
  process.exit(1);
}
rmSync(stampPath, { force: true });
const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
writeFileSync(stampPath, JSON.stringify({ fingerprint: fp, builtAt: new Date().toISOString() }) + "\n");
