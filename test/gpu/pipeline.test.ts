// `npm run test:gpu`: the tiny distilled pipeline end to end on both devices, on a real GPU (the same comparison
// test/cuda/pipeline.test.ts makes under the emulation). Skipped, with the reason printed, without a GPU.
import t from "tap";
import { cudaInfo } from "../../src/index.js";
import { compareDevicePipeline } from "../helpers/devicePipeline.js";

const cuda = cudaInfo();
const skip = cuda.state === "ready" && !cuda.emulated ? false : `no usable GPU: CUDA ${cuda.state}${cuda.emulated ? " (the emulation)" : ""} (${cuda.reason ?? "no device"})`;
if (skip) console.log(`# GPU pipeline test skipped: ${skip}`);

t.test("the distilled pipeline on the GPU makes the CPU's video", { skip }, async (t) => compareDevicePipeline(t));
