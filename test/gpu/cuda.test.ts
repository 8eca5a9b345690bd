// GPU tests (`npm run test:gpu`; also part of `npm test`): every CUDA op against the CPU reference kernels,
// through the C++ self-test. Without a device they are skipped, and the reason is printed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { cudaInfo } from "../../src/index.js";

const root = join(import.meta.dirname, "..", "..");
const selftest = join(root, "build", "Release", "aiprod_cuda_selftest");
const cuda = cudaInfo();

const skip = cuda.state === "ready" ? false : `no usable GPU: CUDA ${cuda.state} (${cuda.reason ?? "unknown reason"})`;
if (skip) console.log(`# GPU tests skipped: ${skip}`);

t.test("CUDA ops match the CPU reference (bit-exact elementwise and casts)", { skip }, async (t) => {
  t.ok(existsSync(selftest), "self-test program was built");
  const r = spawnSync(selftest, [cuda.libraryPath], { encoding: "utf8" });
  t.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});
