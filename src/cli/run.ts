#!/usr/bin/env node
// Runs the CLI with this process's arguments (bin/aiprod.js runs the compiled copy of this file).
import { main } from "./main.js";

try {
  await main(process.argv);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
