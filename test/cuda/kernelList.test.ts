// README's CUDA kernel table, the ops the CUDA library has kernels for (`aiprod info` lists the same), and the
// kernel tests name the same ops: a kernel is not listed without tests, and a test does not cover an op that
// README omits.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";

const root = join(import.meta.dirname, "..", "..");
const program = join(root, "build", "Release", "aiprod_cuda_kernel_tests_emu");

t.test("README, the library's kernel list and the kernel tests agree", async (t) => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.split("### CUDA kernels")[1]?.split(/\n#{2,3} /)[0] ?? "";
  const documented = [...section.matchAll(/^\| `([a-z_0-9]+)` \|/gm)].map((m) => m[1]!).sort();
  t.ok(documented.length > 0, "README has a CUDA kernel table");
  const built = spawnSync(program, ["--kernels"], { encoding: "utf8" });
  t.equal(built.status, 0, built.stderr);
  const kernels = built.stdout.trim().split(",").sort();
  t.same(kernels, documented, "the library's kernels are the README's");
  const tests = spawnSync(program, ["--list"], { encoding: "utf8" }).stdout.trim().split("\n");
  for (const op of kernels) {
    // conv3d's tests are conv3d_*, not conv_transpose1d_*; norm covers norm_fused_* too.
    t.ok(tests.some((name) => name.startsWith(`${op}_`)), `${op} has kernel tests`);
  }
  const covered = new Set(tests.map((name) => kernels.find((op) => name.startsWith(`${op}_`))));
  t.notOk(covered.has(undefined), `every kernel test belongs to a listed op (${tests.filter((n) => !kernels.some((op) => n.startsWith(`${op}_`))).join(", ")})`);
});
