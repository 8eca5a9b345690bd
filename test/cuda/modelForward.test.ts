// The LTX-2 transformer on the CUDA path, under the host emulation of CUDA (every kernel the forward uses runs
// through cuda/src/emu): the same tiny checkpoint, the same inputs, forwarded once on the CPU and once under
// withDevice("cuda") (inputs, weights and every intermediate on the device). The two devices agree within the
// bound of their different summation orders; a forward that silently ran on the CPU would be caught by the
// device allocator's peak (weights and activations must have lived in device memory).
process.env.AIPROD_CUDA_EMULATE = "1"; // before anything loads the CUDA library (it is loaded once per process)

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { SafetensorsFile } from "../../src/checkpoint/safetensors.js";
import { TINY_TRANSFORMER_CONFIG, writeTinyLtx2Checkpoint } from "../../src/models/ltx2/checkpoint/tinyCheckpoint.js";
import { loadLtx2Transformer, randomLtx2Transformer } from "../../src/models/ltx2/loadTransformer.js";
import { blockWeightBytes, chooseBlockResidency } from "../../src/models/ltx2/transformer/blockResidency.js";
import type { LTXModel, ModalityInput } from "../../src/models/ltx2/transformer/model.js";
import { audioPositions, videoPositions } from "../../src/models/ltx2/transformer/positions.js";
import { cudaMemoryStats, cudaResetPeak, getDefaultDevice, Tensor, withDevice } from "../../src/index.js";
import { randn } from "../helpers/reference.js";

const dir = mkdtempSync(join(tmpdir(), "aiprod-cuda-forward-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const grid = { frames: 2, height: 2, width: 3 };
const tv = grid.frames * grid.height * grid.width, ta = 5, S = 16;

function inputs(captionChannels: number): [ModalityInput, ModalityInput] {
  const sigma = 0.7;
  const vT = Float32Array.from({ length: tv }, (_, i) => (i < grid.height * grid.width ? 0 : sigma));
  return [
    { latent: Tensor.from(randn(tv * 128, 1), [1, tv, 128]), timesteps: vT, sigma: Float32Array.of(sigma),
      positions: videoPositions(grid, 24), context: Tensor.from(randn(S * captionChannels, 3), [1, S, captionChannels]) },
    { latent: Tensor.from(randn(ta * 128, 2), [1, ta, 128]), timesteps: new Float32Array(ta).fill(sigma), sigma: Float32Array.of(sigma),
      positions: audioPositions(ta), context: Tensor.from(randn(S * captionChannels, 4), [1, S, captionChannels]) },
  ];
}

interface ForwardResult { video: Float32Array; audio: Float32Array; device: string; peak: number; blocks: number }

/** The checkpoint at `path` as a model loader for forward(). */
function fromFile(path: string): () => { model: LTXModel; release: () => void } {
  return () => {
    const file = SafetensorsFile.open(path);
    return { model: loadLtx2Transformer(file), release: () => file.dispose() };
  };
}

/** Loads a model (on the default device), forwards the fixed inputs once, releases everything. */
function forward(load: () => { model: LTXModel; release: () => void }): ForwardResult {
  const onCuda = getDefaultDevice() === "cuda";
  const before = onCuda ? cudaMemoryStats().inUse : 0;
  if (onCuda) cudaResetPeak();
  const { model, release } = load();
  const [v, a] = inputs(model.config.captionChannels);
  try {
    const out = model.forward(v, a, { stgBlocks: [] });
    const r = { video: out.video.toFloat32(), audio: out.audio.toFloat32(), device: out.video.device,
      peak: onCuda ? cudaMemoryStats().peak - before : 0, blocks: model.blocks.length };
    out.video.dispose();
    out.audio.dispose();
    return r;
  } finally {
    for (const x of [v.latent, v.context, a.latent, a.context]) x.dispose();
    model.dispose();
    release();
  }
}

/** max |a − b| / max |b| */
function relError(a: Float32Array, b: Float32Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

// f32 checkpoint: f32 kernels on both devices, differing only in summation order (bound: a few hundred f32
// roundings through two blocks, far below 1e-4 of the output scale). bf16 checkpoint: bf16 products and bf16
// attention probabilities on both, with bf16 roundings landing differently after a different summation order
// (the CPU's own bf16-vs-float64 bound is 3e-2; the two devices must agree at least that well).
for (const [dtype, bound] of [["f32", 1e-4], ["bf16", 3e-2]] as const) {
  t.test(`a tiny ${dtype} transformer forward on cuda (emulated) agrees with the CPU`, async (t) => {
    const path = join(dir, `tiny-${dtype}.safetensors`);
    writeTinyLtx2Checkpoint(path, { seed: 7, dtype });
    const cpu = forward(fromFile(path));
    t.equal(cpu.device, "cpu");
    const before = cudaMemoryStats().inUse;
    cudaResetPeak();
    const gpu = withDevice("cuda", () => forward(fromFile(path)));
    t.equal(getDefaultDevice(), "cpu", "withDevice restores the default device");
    t.equal(gpu.device, "cuda", "the outputs were computed on the device");
    const stats = cudaMemoryStats();
    t.ok(stats.peak - before > 100_000, `weights and activations lived in device memory (peak ${stats.peak - before} bytes)`);
    t.equal(stats.inUse, before, "every device tensor of the forward was released");
    const ev = relError(gpu.video, cpu.video), ea = relError(gpu.audio, cpu.audio);
    t.ok(ev <= bound && ea <= bound, `video ${ev.toExponential(2)}, audio ${ea.toExponential(2)} (bound ${bound})`);
  });
}

t.test("streamed (double-buffered) block weights give the resident forward bit for bit, with two blocks' weights on the device", async (t) => {
  // Four blocks of the tiny config with seeded random weights (held on the host, copied per load).
  const run = (blockWeights: "resident" | "streamed") => withDevice("cuda", () => forward(() => {
    const { model, weights } = randomLtx2Transformer({ ...TINY_TRANSFORMER_CONFIG, num_layers: 4 }, { seed: 5, blockWeights });
    return { model, release: () => weights.dispose() };
  }));
  const resident = run("resident"), streamed = run("streamed");
  t.equal(resident.blocks, 4);
  t.equal(streamed.blocks, 0, "no block is held between forwards");
  t.same(streamed.video, resident.video, "video identical");
  t.same(streamed.audio, resident.audio, "audio identical");
  t.ok(streamed.peak < resident.peak, `peak device memory ${streamed.peak} < ${resident.peak} bytes`);
});

t.test("the residency policy streams when the blocks' weights exceed 70% of the free device memory", async (t) => {
  t.equal(chooseBlockResidency(38e9, 80e9), "resident", "19B bf16 on an 80 GB H100");
  t.equal(chooseBlockResidency(38e9, 23e9), "streamed", "19B bf16 on a 24 GB card");
  t.equal(chooseBlockResidency(19e9, 23e9), "streamed", "19B fp8 on a 24 GB card leaves too little for activations");
  {
    using file = SafetensorsFile.open(join(dir, "tiny-f32.safetensors"));
    const src = file.view("model.diffusion_model.");
    const keys = src.keys().filter((k) => k.startsWith("transformer_blocks.1."));
    const bytes = keys.reduce((n, k) => n + src.info(k).shape.reduce((a, d) => a * d, 1) * 4, 0);
    t.ok(keys.length > 10 && bytes > 0);
    t.equal(blockWeightBytes(src, [1]), bytes, "one block's weights, in their stored dtype");
    t.equal(blockWeightBytes(src, [0, 1]), 2 * bytes, "two blocks of one config");
  }
  t.throws(() => withDevice("cuda", () => {
    using file = SafetensorsFile.open(join(dir, "tiny-f32.safetensors"));
    return loadLtx2Transformer(file, { blockWeights: "sometimes" as "streamed" });
  }), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: /block weights must be "resident" or "streamed"/ });
});
