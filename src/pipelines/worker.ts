// The worker thread one generation runs in: the native addon loads here, the whole pipeline runs here, and the
// main thread stays free. Cancellation arrives through a shared Int32 flag (the loop is synchronous, so it
// never sees messages); progress and the result go back as messages.
import { parentPort, workerData } from "node:worker_threads";
import { GaussianGenerator } from "../models/ltx2/components/noisers.js";
import { cudaMemoryStats, cudaResetPeak, type Device, setDefaultDevice } from "../runtime/device.js";
import { RunContext } from "./context.js";
import type { ModelInfo } from "./modelFiles.js";
import { runPipeline } from "./run.js";
import type { ResolvedParams } from "./types.js";
import type { TilingConfig } from "../models/ltx2/vae/tiling.js";

const { params, models, abort, device, decodeTiling, plan } = workerData as {
  params: ResolvedParams; models: ModelInfo; abort: SharedArrayBuffer; device: Device; decodeTiling?: TilingConfig; plan: [string, number][];
};
const flag = new Int32Array(abort);
const ctx = new RunContext(() => Atomics.load(flag, 0) !== 0, (p) => parentPort!.postMessage({ type: "progress", progress: p }), new GaussianGenerator(params.seed), new Map(plan));
try {
  // This thread is the generation's own: on "cuda" every tensor the pipeline makes and every weight it loads
  // lands on the device (device.ts), so the models run there unchanged.
  setDefaultDevice(device ?? "cpu");
  if (device === "cuda") ctx.devicePeak = { reset: cudaResetPeak, peak: () => cudaMemoryStats().peak };
  const out = await runPipeline(ctx, params, models, decodeTiling ? { decodeTiling } : {});
  parentPort!.postMessage({ type: "done", out, stages: ctx.stages, baselineRssBytes: ctx.baselineRssBytes });
} catch (e) {
  const err = e as Error & { code?: string };
  parentPort!.postMessage({ type: "error", name: err.name, code: err.code, message: err.message ?? String(e), stack: err.stack });
}
