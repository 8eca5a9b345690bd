// The build itself: the C++ kernel tests of every ISA path, the node-gyp fallback build from bindings.gyp,
// and the CUDA library being built (without a GPU) wherever nvcc is present.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { getInfo } from "../../src/index.js";

const root = join(import.meta.dirname, "..", "..");
const status = JSON.parse(readFileSync(join(root, "build", "native-status.json"), "utf8")) as {
  builder: string;
  cuda: { mode: string; built: boolean; reason: string };
};

t.test("C++ kernel tests: every ISA path bit-exact against ref/", { skip: status.builder !== "cmake-js" && "built by node-gyp" }, async (t) => {
  const r = spawnSync(join(root, "build", "Release", "aiprod_kernel_tests"), { encoding: "utf8" });
  t.equal(r.status, 0, r.stdout.split("\n").filter((l) => l.startsWith("not ok")).slice(0, 20).join("\n") || "all checks pass");
  const summary = /# (\d+) ISA paths, (\d+) checks, (\d+) failures/.exec(r.stdout);
  t.ok(summary, "prints a summary");
  t.equal(Number(summary?.[1]), getInfo().isaAvailable.length, "tests every path this CPU can run");
  t.ok(Number(summary?.[2]) > 1000, `${summary?.[2]} checks`);
});

t.test("C++ product tests: GEMM, attention, conv on every SIMD path vs ref, fresh random shapes", { skip: status.builder !== "cmake-js" && "built by node-gyp" }, async (t) => {
  const r = spawnSync(join(root, "build", "Release", "aiprod_product_tests"), { encoding: "utf8" });
  const seed = /# seed (\d+)/.exec(r.stdout)?.[1];
  t.equal(r.status, 0, r.stdout.split("\n").filter((l) => l.startsWith("not ok")).join("\n") || `all checks pass (seed ${seed})`);
  t.match(r.stdout, /# \d+ ISA paths, \d+ checks, 0 failures/);
});

t.test("bindings.gyp builds the same CPU addon through node-gyp", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-gyp-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const entry of ["native", "cuda", "scripts", "bindings.gyp", "package.json"]) cpSync(join(root, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  const build = spawnSync(process.execPath, [join(dir, "scripts", "install-native.mjs")], {
    cwd: dir,
    env: { ...process.env, AIPROD_BUILDER: "node-gyp" },
    encoding: "utf8",
  });
  t.equal(build.status, 0, build.stderr || "node-gyp build succeeded");
  t.notOk(existsSync(join(dir, "binding.gyp")), "the staged binding.gyp is removed afterwards");
  const addon = join(dir, "build", "Release", "aiprod.node");
  const probe = `const a = require(${JSON.stringify(addon)});
    const x = new a.NativeTensor("f32", [3], false); x.write(new Float32Array([1, 2, 3]));
    console.log(JSON.stringify({ isa: a.info().isa, sum: Array.from(a.add(x, x).read()) }));`;
  const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { isa: getInfo().isa, sum: [2, 4, 6] });
});

t.test("the CUDA library is built wherever nvcc is found (no GPU needed)", async (t) => {
  const nvcc = spawnSync("nvcc", ["--version"]).status === 0 || existsSync("/usr/local/cuda/bin/nvcc");
  const cuda = getInfo().cuda;
  if (status.builder !== "cmake-js" || status.cuda.mode === "off" || !nvcc) {
    t.equal(cuda.state, "not built", `not expected here (${status.cuda.reason || "no nvcc"})`);
    t.ok(cuda.reason, "says why");
    return;
  }
  t.ok(status.cuda.built, `built (${status.cuda.reason})`);
  t.ok(["built, no device", "ready"].includes(cuda.state), `state: ${cuda.state}`);
  t.same(cuda.architectures, ["sm_80", "sm_90a"]);
  t.match(cuda.runtimeVersion, /^\d+\.\d+$/);
});
