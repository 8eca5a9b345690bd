// The generation case of `npm run bench:gpu`: the transformer steps and the VAE decode of one distilled
// 768x512x121 generation with random LTX-2 19B weights on the CUDA device, whole and per stage (seconds and peak
// device memory). Distilled two-stage schedule as upstream's: 8 steps at half resolution (384x256), then 3 at
// full (768x512), each step one forward of all 48 blocks (block weights streamed when they do not fit); the
// decode of the 121 frames with the 19B decoder and the default tiles. Not included: the Gemma text encoder and
// the latent upsampler (stated in the report).
// `--smoke` runs the same code on the tiny configs (test/gpu/benchGpu.test.ts runs it under the emulation).
import { DEFAULT_TILING, parseVideoVaeConfig, Tensor, withDevice } from "../../src/index.js";
import { cudaMemoryStats, cudaResetPeak } from "../../src/runtime/device.js";
import { TINY_TRANSFORMER_CONFIG } from "../../src/models/ltx2/checkpoint/tinyCheckpoint.js";
import { randomLtx2Transformer } from "../../src/models/ltx2/loadTransformer.js";
import { audioPositions, videoPositions } from "../../src/models/ltx2/transformer/positions.js";
import { ConvVideoDecoder } from "../../src/models/ltx2/vae/convVideoDecoder.js";
import { TINY_VAE_CONFIG } from "../../src/models/ltx2/vae/tinyVae.js";
import { randomF32 } from "../lib/data.js";
import { LTX2_19B_TRANSFORMER } from "../lib/ltx2Configs.js";
import { LTX2_VAE_CONFIG, randomDecoderSource } from "../vae/decode.js";

export interface GenerationStage { stage: string; seconds: number; peakDeviceBytes: number; steps?: number; tokens?: number }
export interface GenerationResult { case: string; seconds: number; stages: GenerationStage[]; blockWeights: string; excluded: string[] }

function stage(name: string, extra: Partial<GenerationStage>, fn: () => void): GenerationStage {
  cudaResetPeak();
  const t0 = performance.now();
  fn();
  return { stage: name, seconds: (performance.now() - t0) / 1000, peakDeviceBytes: cudaMemoryStats().peak, ...extra };
}

export function measureGeneration(smoke: boolean): GenerationResult {
  return withDevice("cuda", () => {
    const { model, config } = randomLtx2Transformer(smoke ? TINY_TRANSFORMER_CONFIG : LTX2_19B_TRANSFORMER, {});
    const S = smoke ? 16 : 1024, ta = smoke ? 5 : 126, C = config.captionChannels;
    // 121 frames -> 16 latent frames; 32x32 pixels per latent.
    const grids = smoke ? [{ frames: 2, height: 2, width: 3 }, { frames: 2, height: 4, width: 6 }]
      : [{ frames: 16, height: 8, width: 12 }, { frames: 16, height: 16, width: 24 }];
    const steps = smoke ? [2, 1] : [8, 3];
    const stages: GenerationStage[] = [];
    try {
      for (const [s, grid] of grids.entries()) {
        const tv = grid.frames * grid.height * grid.width;
        using vLatent = Tensor.from(randomF32(tv * 128, 1 + s), [1, tv, 128]);
        using aLatent = Tensor.from(randomF32(ta * 128, 3), [1, ta, 128]);
        using ctx = Tensor.from(randomF32(S * C, 2), [1, S, C]);
        stages.push(stage(`transformer stage ${s + 1}`, { steps: steps[s]!, tokens: tv }, () => {
          for (let i = 0; i < steps[s]!; i++) {
            const sigma = 1 - i / steps[s]!;
            const out = model.forward(
              { latent: vLatent, timesteps: new Float32Array(tv).fill(sigma), sigma: Float32Array.of(sigma), positions: videoPositions(grid, 24), context: ctx },
              { latent: aLatent, timesteps: new Float32Array(ta).fill(sigma), sigma: Float32Array.of(sigma), positions: audioPositions(ta), context: ctx });
            out.video.dispose();
            out.audio.dispose();
          }
        }));
      }
    } finally {
      model.dispose();
    }
    const vae = parseVideoVaeConfig(smoke ? TINY_VAE_CONFIG : LTX2_VAE_CONFIG);
    const last = grids[grids.length - 1]!;
    stages.push(stage("vae decode", {}, () => {
      using dec = new ConvVideoDecoder(vae, randomDecoderSource(vae, "vae.decoder."), randomDecoderSource(vae, "vae.per_channel_statistics."));
      using latent = Tensor.from(randomF32(vae.latentChannels * last.frames * last.height * last.width, 5), [1, vae.latentChannels, last.frames, last.height, last.width]);
      for (const chunk of dec.decodeVideo(latent, smoke ? undefined : DEFAULT_TILING)) chunk.dispose();
    }));
    return {
      case: smoke ? "distilled_smoke" : "distilled_768x512x121_19b", seconds: stages.reduce((a, s) => a + s.seconds, 0), stages,
      blockWeights: model.blockWeights, excluded: ["Gemma text encoder", "latent upsampler", "audio decode", "MP4 encode"],
    };
  });
}

// `node --import=tsx bench/gpu/generation.ts [--smoke]`: prints the result as one JSON line.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  console.log(JSON.stringify(measureGeneration(process.argv.includes("--smoke"))));
}
