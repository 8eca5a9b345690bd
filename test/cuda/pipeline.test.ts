// A whole generation on the CUDA path under the host emulation: the distilled pipeline on the tiny model set
// with createEngine({ device: "cuda" }) (text side, transformer, VAE decode and audio on the device) against
// the same request on the CPU; every stage reports its peak device memory.
process.env.AIPROD_CUDA_EMULATE = "1"; // before anything loads the CUDA library (it is loaded once per process)

import t from "tap";
import { compareDevicePipeline } from "../helpers/devicePipeline.js";

t.test("the distilled pipeline on cuda (emulated) makes the CPU's video", async (t) => compareDevicePipeline(t));
