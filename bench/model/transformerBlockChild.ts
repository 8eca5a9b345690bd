// Child process of the transformer-block benchmark: one LTX-2 19B block (random bf16 weights) plus the stream
// heads, on 6144 video + 126 audio tokens with a 1024-token text context, timed and with its peak memory.
// Prints one JSON line: seconds (forward), flops, rss before, peak.
import { randomLtx2Transformer } from "../../src/models/ltx2/loadTransformer.js";
import { audioPositions, videoPositions } from "../../src/models/ltx2/transformer/positions.js";
import { Tensor } from "../../src/index.js";
import { randomF32 } from "../lib/data.js";
import { LTX2_19B_TRANSFORMER } from "../lib/ltx2Configs.js";
import { hwmBytes, resetHwm, rssBytes } from "../memory/procStatus.js";


const grid = { frames: 16, height: 16, width: 24 }; // 121 frames at 512x768: 6144 tokens
const tv = grid.frames * grid.height * grid.width, ta = 126, S = 1024;
const { model, weights, config } = randomLtx2Transformer(LTX2_19B_TRANSFORMER, { layers: [0] });
const dv = 4096, da = 2048, C = config.captionChannels;

/** Matmul and attention FLOPs of one block (2 per multiply-add), the work that dominates. */
function blockFlops(): number {
  const lin = (rows: number, i: number, o: number) => 2 * rows * i * o;
  const attnCore = (h: number, nq: number, nk: number, d: number) => 4 * h * nq * nk * d;
  const stream = (t: number, d: number, ctxDim: number, h: number, hd: number) =>
    4 * lin(t, d, d) + attnCore(h, t, t, hd) + 2 * lin(t, d, d) + 2 * lin(S, ctxDim, d) + attnCore(h, t, S, hd) + lin(t, d, 4 * d) + lin(t, 4 * d, d);
  const a2v = lin(tv, dv, da) + 2 * lin(ta, da, da) + attnCore(32, tv, ta, 64) + lin(tv, da, dv);
  const v2a = lin(ta, da, da) + 2 * lin(tv, dv, da) + attnCore(32, ta, tv, 64) + lin(ta, da, da);
  return stream(tv, dv, dv, 32, 128) + stream(ta, da, da, 32, 64) + a2v + v2a;
}

const video = {
  latent: Tensor.from(randomF32(tv * 128, 1), [1, tv, 128]), timesteps: new Float32Array(tv).fill(0.9), sigma: Float32Array.of(0.9),
  positions: videoPositions(grid, 24), context: Tensor.from(randomF32(S * C, 2), [1, S, C]),
};
const audio = {
  latent: Tensor.from(randomF32(ta * 128, 3), [1, ta, 128]), timesteps: new Float32Array(ta).fill(0.9), sigma: Float32Array.of(0.9),
  positions: audioPositions(ta), context: Tensor.from(randomF32(S * C, 4), [1, S, C]),
};
// Materialize the random weights before measuring (their generation is not the model's work).
for (const k of weights.keys()) weights.tensor(k).dispose();
const rssBefore = rssBytes();
const hwmReset = resetHwm();
const t0 = performance.now();
const out = model.forward(video, audio);
const seconds = (performance.now() - t0) / 1000;
const hwmAfter = hwmBytes();
out.video.dispose();
out.audio.dispose();
console.log(JSON.stringify({ seconds, flops: blockFlops(), rssBefore, hwmAfter, hwmReset, tokens: { video: tv, audio: ta, text: S } }));
