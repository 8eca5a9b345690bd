// Where the transformer blocks' weights live during a forward. "resident": every block's weights are loaded
// once, at construction. "streamed": block weights are double-buffered: block i+1's weights are uploaded (on the
// CUDA copy stream, Tensor.uploadAsync) while block i's kernels run, and each block's weights are released once
// it has run, so two blocks' weights occupy device memory at a time; the rest stay in the memory-mapped
// checkpoint on the host. That is what lets the 19B model (48 blocks, ~38 GB of bf16 weights) run on a 24 GB GPU.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { getDefaultDevice } from "../../../runtime/device.js";
import { dtypeSize } from "../../../runtime/dtype.js";
import { cudaInfo } from "../../../runtime/info.js";

export type BlockResidency = "resident" | "streamed";

/** Share of the device's free memory the resident block weights may take; the rest is for activations. */
export const RESIDENT_SHARE = 0.7;

/** Bytes of the weights (in their stored dtypes) of the given blocks. */
export function blockWeightBytes(src: WeightSource, layers: readonly number[]): number {
  let bytes = 0;
  const wanted = new Set(layers.map((i) => `transformer_blocks.${i}.`));
  for (const key of src.keys()) {
    const prefix = key.slice(0, key.indexOf(".", "transformer_blocks.".length) + 1);
    if (!wanted.has(prefix)) continue;
    const info = src.info(key);
    if (info.dtype) bytes += info.shape.reduce((n, d) => n * d, 1) * dtypeSize(info.dtype);
  }
  return bytes;
}

/** The policy: streamed when the blocks' weights exceed RESIDENT_SHARE of the free device memory. */
export function chooseBlockResidency(weightBytes: number, freeDeviceBytes: number): BlockResidency {
  return weightBytes > RESIDENT_SHARE * freeDeviceBytes ? "streamed" : "resident";
}

/**
 * The residency for a model about to load: `requested` when given (or AIPROD_BLOCK_WEIGHTS=resident|streamed),
 * else resident on the CPU (the weights are mapped from the file anyway) and, on cuda, by chooseBlockResidency.
 */
export function resolveBlockResidency(src: WeightSource, layers: readonly number[], requested?: BlockResidency): BlockResidency {
  const env = process.env.AIPROD_BLOCK_WEIGHTS;
  const choice = requested ?? (env ? env : undefined);
  if (choice !== undefined) {
    if (choice !== "resident" && choice !== "streamed") {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2: block weights must be "resident" or "streamed", got '${String(choice)}'${requested === undefined ? " (AIPROD_BLOCK_WEIGHTS)" : ""}`);
    }
    return choice;
  }
  if (getDefaultDevice() !== "cuda") return "resident";
  const free = cudaInfo().devices[0]?.freeMemory ?? 0;
  return chooseBlockResidency(blockWeightBytes(src, layers), free);
}
