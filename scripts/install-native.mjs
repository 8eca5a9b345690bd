#!/usr/bin/env node
// Builds the native addon at `npm install` time, offline. Plain JavaScript so it runs before TypeScript exists.
//  1. CPU addon through cmake-js (or node-gyp from bindings.gyp when cmake is missing, or when
//     AIPROD_BUILDER=node-gyp). Failure fails the install with one clear message; the log is build/native-build.log.
//  2. The CUDA library (AIPROD_CUDA=auto|on|off, default auto: built when nvcc is found). In auto, a failure
//     prints one warning line and the install goes on CPU-only; the log is in build/cuda-build.log.
//  3. Smoke-tests the addon in a child process and writes build/native-status.json for `aiprod info`.
// A build made from the same sources and settings (the fingerprint in native-status.json) is not redone: the
// step says so and stops (npm re-runs it for `npx aiprod` in the repository, and on every `npm install`).
// Installed as a dependency, only the addon (and the CUDA library) is built, not the C++ test programs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync, appendFileSync, readFileSync, rmSync, copyFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fingerprint, readStamp } from "./fingerprint.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const buildDir = join(root, "build");
const cpuLog = join(buildDir, "native-build.log");
const cudaLog = join(buildDir, "cuda-build.log");
const force = process.argv.includes("--force");
const say = (msg) => console.log(`aiprod: ${msg}`);

function fail(msg, logFile) {
  console.error(`\naiprod: ${msg}`);
  if (logFile && existsSync(logFile)) {
    const tail = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-25).join("\n");
    console.error(`--- last lines of ${logFile} ---\n${tail}\n---`);
  }
  process.exit(1);
}

function has(cmd, args = ["--version"]) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0;
}

function run(cmd, args, logFile) {
  appendFileSync(logFile, `\n$ ${cmd} ${args.join(" ")}\n`);
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20, env: process.env });
  appendFileSync(logFile, (r.stdout ?? "") + (r.stderr ?? "") + (r.error ? String(r.error) : ""));
  return r.status === 0;
}

function cudaMode() {
  const v = (process.env.AIPROD_CUDA ?? process.env.npm_config_aiprod_cuda ?? "auto").toLowerCase();
  if (!["auto", "on", "off"].includes(v)) fail(`AIPROD_CUDA='${v}' is not one of auto, on, off`);
  return v;
}

const mode = cudaMode();
const builder = (process.env.AIPROD_BUILDER ?? (has("cmake") ? "cmake" : "node-gyp")).toLowerCase();
if (!["cmake", "node-gyp"].includes(builder)) fail(`AIPROD_BUILDER='${builder}' is not one of cmake, node-gyp`);
// Inside another project's node_modules: build what a user needs (the addon), not the kernel test programs nor
// the CUDA emulation (libaiprod_cuda_emu and its test programs, which only the tests use; it needs only the C++
// compiler, so a checkout always builds it).
const asDependency = root.split(/[\\/]/).includes("node_modules");
const cpuTargets = asDependency ? ["aiprod"] : ["aiprod", "aiprod_kernel_tests", "aiprod_product_tests", "aiprod_pointwise_tests",
  "aiprod_cuda_emu", "aiprod_cuda_emu_tests", "aiprod_cuda_kernel_tests_emu", "aiprod_cuda_kernel_bench_emu"];
const addon = join(buildDir, "Release", "aiprod.node");
const statusPath = join(buildDir, "native-status.json");
const fp = fingerprint(root, ["native", "cuda", "cmake", "CMakeLists.txt", "bindings.gyp", "scripts/install-native.mjs", "scripts/fingerprint.mjs"], {
  abi: process.versions.modules, napi: process.versions.napi, platform: process.platform, arch: process.arch,
  mode, builder, cpuTargets, cxx: process.env.CXX ?? null, cc: process.env.CC ?? null,
});

/** Loads the addon in a child process: a broken binary fails here, not in the user's app. Returns its ISA path. */
function smokeTest() {
  const smoke = spawnSync(process.execPath, ["-e", `const a = require(${JSON.stringify(addon)}); console.log(a.info().isa)`], { encoding: "utf8" });
  return smoke.status === 0 ? smoke.stdout.trim() : undefined;
}

// What the up-to-date check compares (for tests and for CI caches).
if (process.argv.includes("--print-fingerprint")) {
  console.log(fp);
  process.exit(0);
}

const previous = readStamp(statusPath);
if (!force && previous?.fingerprint === fp && previous.cpu && existsSync(addon)) {
  const isa = smokeTest();
  if (isa) {
    say(`native addon up to date (${previous.builder}, kernel path ${isa}, CUDA ${previous.cuda?.built ? "built" : "not built: " + previous.cuda?.reason}); nothing to build`);
    process.exit(0);
  }
}

const cxx = process.env.CXX ?? ["c++", "g++", "clang++"].find((c) => has(c));
if (!cxx) {
  fail("no C++ compiler found (tried $CXX, c++, g++, clang++). Install one, e.g. `apt-get install g++` " +
    "or Xcode's command line tools, then run `npm rebuild aiprod`.");
}
mkdirSync(buildDir, { recursive: true });
if (force) rmSync(join(buildDir, "CMakeCache.txt"), { force: true });
writeFileSync(cpuLog, "");
writeFileSync(cudaLog, "");

const jobs = String(Math.max(1, (await import("node:os")).availableParallelism()));
const status = { cpu: false, builder: "", cuda: { mode, built: false, reason: "" }, testPrograms: !asDependency, builtAt: new Date().toISOString() };
// A half-finished build must not look up to date.
rmSync(statusPath, { force: true });

if (builder === "cmake") {
  const cmakeJs = join(dirname(require.resolve("cmake-js/package.json")), "bin", "cmake-js");
  const cdef = (v) => `--CDAIPROD_CUDA=${v.toUpperCase()}`;
  say(`building the native addon with cmake-js (CPU paths ref/avx2/avx512${mode === "off" ? "" : ", CUDA " + mode})`);
  const configure = (m) => run(process.execPath, [cmakeJs, "configure", "--parallel", jobs, cdef(m)], cpuLog);
  let configuredCuda = mode;
  if (!configure(mode)) {
    if (mode === "auto") {
      // A broken CUDA toolkit must not cost the CPU build: configure again without it.
      appendFileSync(cudaLog, readFileSync(cpuLog, "utf8"));
      status.cuda.reason = `CUDA configure failed (see ${cudaLog})`;
      configuredCuda = "off";
      if (!configure("off")) fail(`CMake could not configure the CPU addon (cmake or ${cxx} problem).`, cpuLog);
    } else {
      fail(`CMake could not configure the native addon${mode === "on" ? " with AIPROD_CUDA=on" : ""}.`, cpuLog);
    }
  }
  const build = (target, log) => run(process.execPath, [cmakeJs, "build", "--parallel", jobs, "--target", target, cdef(configuredCuda)], log);
  if (!cpuTargets.every((target) => build(target, cpuLog))) {
    fail(`the CPU addon failed to compile with ${cxx}. This is a bug or an unsupported compiler (C++17 needed).`, cpuLog);
  }
  status.cpu = true;
  status.builder = "cmake-js";
  const cache = readFileSync(join(buildDir, "CMakeCache.txt"), "utf8");
  const cudaConfigured = /^AIPROD_CUDA_ENABLED:INTERNAL=ON$/m.test(cache);
  if (mode === "off") {
    status.cuda.reason = "disabled (AIPROD_CUDA=off)";
  } else if (!cudaConfigured) {
    status.cuda.reason ||= "nvcc not found";
    if (mode === "on") fail("AIPROD_CUDA=on but the CUDA library could not be configured.", cpuLog);
    say(`CUDA library not built: ${status.cuda.reason}`);
  } else {
    say("building the CUDA library (sm_80, sm_90a)");
    if (build("aiprod_cuda", cudaLog) && build("aiprod_cuda_kernel_tests", cudaLog) && build("aiprod_cuda_kernel_bench", cudaLog)) {
      status.cuda.built = true;
    } else {
      status.cuda.reason = `CUDA build failed (see ${cudaLog})`;
      if (mode === "on") fail("AIPROD_CUDA=on but the CUDA library failed to build.", cudaLog);
      console.warn(`aiprod: warning: CUDA library build failed; continuing CPU-only (full log: ${cudaLog})`);
    }
  }
} else {
  // The CPU addon through node-gyp (npm ships it) from bindings.gyp, which reads the same source list.
  const nodeGyp = [process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js")]
    .find((p) => p && existsSync(p));
  if (!nodeGyp) {
    fail("neither cmake nor node-gyp is available. Install cmake (e.g. `apt-get install cmake`, " +
      "`brew install cmake`), then run `npm rebuild aiprod`.");
  }
  say(`building the CPU addon with node-gyp${builder === process.env.AIPROD_BUILDER ? "" : " (cmake not found)"}; no CUDA in this build`);
  // Offline: use the headers that came with this Node.js instead of letting node-gyp download them.
  const prefix = join(dirname(process.execPath), "..");
  const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(prefix, "include", "node", "node_api.h")) ? prefix : undefined);
  // node-gyp only reads binding.gyp: stage bindings.gyp under that name for the build.
  const staged = join(root, "binding.gyp");
  copyFileSync(join(root, "bindings.gyp"), staged);
  let ok;
  try {
    ok = run(process.execPath, [nodeGyp, "rebuild", `--jobs=${jobs}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])], cpuLog);
  } finally {
    rmSync(staged, { force: true });
  }
  if (!ok) fail(`node-gyp failed to build the CPU addon with ${cxx}.`, cpuLog);
  status.cpu = true;
  status.builder = "node-gyp";
  status.cuda.reason = "built with node-gyp, which builds the CPU addon only";
}

// A CUDA library left from an earlier build must not outlive a build that did not make one.
if (!status.cuda.built) {
  for (const f of ["libaiprod_cuda.so", "aiprod_cuda.dll", "aiprod_cuda_kernel_tests", "aiprod_cuda_kernel_bench"]) rmSync(join(buildDir, "Release", f), { force: true });
}

const isa = smokeTest();
if (!isa) {
  const smoke = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(addon)})`], { encoding: "utf8" });
  fail(`the addon was built but does not load:\n${smoke.stderr}`);
}
writeFileSync(statusPath, JSON.stringify({ ...status, fingerprint: fp }, null, 2) + "\n");
say(`native addon ready (${status.builder}, kernel path ${isa}, CUDA ${status.cuda.built ? "built" : "not built: " + status.cuda.reason})`);
