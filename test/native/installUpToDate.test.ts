// npm re-runs the install and prepare steps more often than a user expects (`npx aiprod` in the repository does
// both; so does every `npm install`): when nothing they build from has changed, each says so and stops at once.
// Installed as a dependency, the install step builds the addon only, not the C++ test programs.
import { spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";

const root = join(import.meta.dirname, "..", "..");

/** A copy of the package's build inputs in `dir`, with the built addon of this checkout as its build output. */
function stage(dir: string): void {
  for (const entry of ["native", "cuda", "cmake", "scripts", "CMakeLists.txt", "bindings.gyp", "package.json", "tsconfig.json", "tsconfig.build.json"]) cpSync(join(root, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  mkdirSync(join(dir, "build", "Release"), { recursive: true });
  copyFileSync(join(root, "build", "Release", "aiprod.node"), join(dir, "build", "Release", "aiprod.node"));
}

// CXX=/bin/false: were a build attempted, it would fail at once instead of compiling for minutes.
const env = { ...process.env, CXX: "/bin/false", AIPROD_CUDA: "off" };
const run = (dir: string, script: string, ...args: string[]) => {
  const start = performance.now();
  const r = spawnSync(process.execPath, [join(dir, "scripts", script), ...args], { cwd: dir, env, encoding: "utf8" });
  return { ...r, ms: performance.now() - start, out: `${r.stdout}${r.stderr}` };
};

t.test("install: an up-to-date addon is not rebuilt; a changed source is", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-uptodate-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  stage(dir);
  const fp = run(dir, "install-native.mjs", "--print-fingerprint").stdout.trim();
  t.match(fp, /^[0-9a-f]{64}$/);
  writeFileSync(join(dir, "build", "native-status.json"), JSON.stringify({ cpu: true, builder: "cmake-js", cuda: { mode: "off", built: false, reason: "disabled (AIPROD_CUDA=off)" }, fingerprint: fp }));
  const again = run(dir, "install-native.mjs");
  t.equal(again.status, 0, again.out);
  t.match(again.out, /native addon up to date \(cmake-js, kernel path \w+, CUDA not built: disabled \(AIPROD_CUDA=off\)\); nothing to build/);
  t.ok(again.ms < 5000, `answered in ${again.ms.toFixed(0)} ms`);

  appendFileSync(join(dir, "native", "binding", "addon.cc"), "\n// changed\n");
  t.not(run(dir, "install-native.mjs", "--print-fingerprint").stdout.trim(), fp, "a source change changes the fingerprint");
  const changed = run(dir, "install-native.mjs");
  t.notMatch(changed.out, /up to date/, "and the build runs again");
  t.not(changed.status, 0, "(here it fails at once: CXX=/bin/false)");
});

t.test("install as a dependency builds the addon, not the test programs", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-dep-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const own = mkdtempSync(join(tmpdir(), "aiprod-own-"));
  t.teardown(() => rmSync(own, { recursive: true, force: true }));
  const pkg = join(dir, "node_modules", "aiprod");
  mkdirSync(pkg, { recursive: true });
  stage(pkg);
  stage(own);
  const src = readFileSync(join(root, "scripts", "install-native.mjs"), "utf8");
  t.match(src, /asDependency \? \["aiprod"\] :/, "the target list depends on where the package is");
  t.not(run(pkg, "install-native.mjs", "--print-fingerprint").stdout.trim(), run(own, "install-native.mjs", "--print-fingerprint").stdout.trim(),
    "a dependency install is a different build (fewer targets) from a checkout's");
});

t.test("prepare: an up-to-date dist/ is not recompiled", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-ts-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  stage(dir);
  for (const entry of ["src", "server", "migrations"]) cpSync(join(root, entry), join(dir, entry), { recursive: true });
  mkdirSync(join(dir, "dist", "src", "cli"), { recursive: true });
  writeFileSync(join(dir, "dist", "src", "cli", "run.js"), "");
  const fp = run(dir, "build-ts.mjs", "--print-fingerprint").stdout.trim();
  writeFileSync(join(dir, "dist", ".build-stamp.json"), JSON.stringify({ fingerprint: fp }));
  const again = run(dir, "build-ts.mjs");
  t.equal(again.status, 0, again.out);
  t.match(again.out, /TypeScript build up to date \(dist\/\); nothing to compile/);
  t.ok(again.ms < 5000, `answered in ${again.ms.toFixed(0)} ms`);
  appendFileSync(join(dir, "src", "index.ts"), "\n// changed\n");
  t.not(run(dir, "build-ts.mjs", "--print-fingerprint").stdout.trim(), fp, "a source change makes it compile again");
});

t.test("package.json runs these scripts for install and prepare", async (t) => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  t.equal(pkg.scripts.install, "node scripts/install-native.mjs");
  t.equal(pkg.scripts.prepare, "node scripts/build-ts.mjs");
});
