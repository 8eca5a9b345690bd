// The CUDA kernels under the host emulation of the CUDA execution model (cuda/src/emu), in CI on every
// machine: first the emulation's own checks (it must catch a missing barrier, a missing cp.async wait and a
// wrong tensor-core fragment layout), then every kernel against the CPU reference kernels in three thread
// orders (forward, reverse, shuffled), within the bounds each test states.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import t from "tap";

const release = join(import.meta.dirname, "..", "..", "build", "Release");

function run(program: string, args: string[] = []) {
  const path = join(release, program);
  if (!existsSync(path)) throw new Error(`${path} was not built (npm run build:native builds it)`);
  return spawnSync(path, args, { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, AIPROD_EMU_THREADS: "2" } });
}

t.test("the emulation catches missing barriers, missing cp.async waits, wrong fragment layouts, divergence", async (t) => {
  const r = run("aiprod_cuda_emu_tests");
  t.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  t.match(r.stdout, /all checks passed/);
});

t.test("every CUDA kernel matches the CPU reference under the emulation, in every thread order", async (t) => {
  const listed = run("aiprod_cuda_kernel_tests_emu", ["--list"]);
  t.equal(listed.status, 0, listed.stderr);
  const names = listed.stdout.trim().split("\n").filter(Boolean);
  t.ok(names.length > 0, "kernel tests are registered");
  const r = run("aiprod_cuda_kernel_tests_emu");
  const out = `${r.stdout}${r.stderr}`;
  t.equal(r.status, 0, out);
  for (const order of ["forward", "reverse", "shuffled"]) {
    for (const name of names) t.match(out, new RegExp(`^ok ${name} \\[${order}\\]$`, "m"), `${name} passed (${order})`);
  }
});
