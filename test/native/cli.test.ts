// `aiprod info`, and the CLI's server commands (`serve`, `migrate`; the server is tested in test/server).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "src", "cli", "run.ts");
const aiprod = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { cwd: root, encoding: "utf8" });

t.test("aiprod info --json", async (t) => {
  const r = aiprod("info", "--json");
  t.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  t.equal(info.version, JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
  t.ok(["ref", "avx2", "avx512"].includes(info.isa));
  t.ok(info.isaAvailable.includes(info.isa));
  t.ok(info.threads >= 1);
  t.ok(["not built", "failed to load", "built, no device", "ready"].includes(info.cuda.state));
});

t.test("aiprod info (text)", async (t) => {
  const r = aiprod("info");
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^aiprod \d+\.\d+\.\d+/);
  t.match(r.stdout, /kernel path: (ref|avx2|avx512) \(available: /);
  t.match(r.stdout, /threads: \d+/);
  t.match(r.stdout, /CUDA library: (not built|failed to load|built, no device|ready)/);
});

t.test("aiprod serve and migrate are commands (the server itself is tested in test/server)", async (t) => {
  const r = aiprod("serve", "--help");
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, "--data-dir");
  const m = aiprod("migrate", "--help");
  t.equal(m.status, 0, m.stderr);
  t.match(m.stdout, "latest | rollback | status");
});

t.test("unknown commands fail with usage help", async (t) => {
  const r = aiprod("frobnicate");
  t.not(r.status, 0);
  t.match(r.stderr, "unknown command 'frobnicate'");
});
