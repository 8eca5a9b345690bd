// GPU tests (`npm run test:gpu`; also part of `npm test`): every TypeScript op on cuda tensors against the CPU on
// a real device (libaiprod_cuda), the same cases and bounds as test/cuda/ops.test.ts runs under the emulation.
// Without a GPU they are skipped, and the reason is printed.
import t from "tap";
import { cudaInfo } from "../../src/index.js";
import { checkCase, opCases } from "../helpers/cudaOps.js";

const cuda = cudaInfo();
const skip = cuda.state === "ready" && !cuda.emulated ? false : `no usable GPU: CUDA ${cuda.state}${cuda.emulated ? " (the emulation)" : ""} (${cuda.reason ?? "emulated"})`;
if (skip) console.log(`# GPU op tests skipped: ${skip}`);

for (const c of opCases) t.test(c.name, { skip }, async (t) => checkCase(t, c, cuda.kernels));
