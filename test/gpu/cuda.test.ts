// GPU tests (`npm run test:gpu`; also part of `npm test`): the CUDA kernel tests (the same sources that run
// under the emulation in test/cuda/emulation.test.ts) on a real device. Without a device they are skipped, and
// the reason is printed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { cudaInfo } from "../../src/index.js";

const root = join(import.meta.dirname, "..", "..");
const tests = join(root, "build", "Release", "aiprod_cuda_kernel_tests");
const cuda = cudaInfo();

const skip = cuda.state === "ready" && !cuda.emulated ? false : `no usable GPU: CUDA ${cuda.state}${cuda.emulated ? " (the host emulation)" : ""} (${cuda.reason ?? "AIPROD_CUDA_EMULATE=1"})`;
if (skip) console.log(`# GPU tests skipped: ${skip}`);

t.test("every CUDA kernel matches the CPU reference on the device", { skip }, async (t) => {
  t.ok(existsSync(tests), "the kernel test program was built");
  const r = spawnSync(tests, [], { encoding: "utf8", maxBuffer: 64 << 20 });
  console.log(r.stdout);
  t.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});
