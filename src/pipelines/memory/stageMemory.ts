// Per-stage memory of one generation, from the shapes the pipeline code creates (src/pipelines/run.ts) and the
// weights each stage loads and releases. Every stage loads its models when it starts and releases them before the
// next one, so a stage's peak is what was resident when it began plus its own working set:
//   weights:     the stored bytes (mapped file pages, resident once read) + the f32 copy the convolutional
//                models cast at load (src/models/ltx2/weights.ts) + the packed copy the GEMM / convolution
//                kernels keep per weight while it lives (native packed_cache, capped)
//   activations: the largest set of tensors alive at once inside the stage
//   overhead:    the JS side of a stage (typed arrays, V8 heap growth) and per-thread kernel scratch
// The per-element constants are measured (test/pipelines/memoryPlanner.test.ts records how; scripts in the
// report); the element counts come from the tensors the code allocates.
import { audioLatentFrames } from "../../models/ltx2/audio/duration.js";
import { audioInnerDim, videoInnerDim } from "../../models/ltx2/transformer/config.js";
import { blockStride, decoderBottleneckChannels } from "../../models/ltx2/vae/config.js";
import { decoderTiles, type TilingConfig } from "../../models/ltx2/vae/tiling.js";
import type { ResolvedParams } from "../types.js";
import { TWO_STAGE } from "../types.js";
import type { ModelFacts, WeightSize } from "./modelFacts.js";

/** Measured constants (bytes); see the header. */
export const MEMORY_CONSTANTS = {
  /** f32 copy of a convolutional model's weights, cast once at load. */
  castBytesPerElement: 4,
  /**
   * Packed copy of a Winograd-run convolution weight kept by the kernels while it lives: 16 transformed points per
   * 9 taps in f32 is 7.1 bytes per element; measured 8.1 on the audio decoder (nearly all of its weights are
   * Winograd-run), the rest being panel padding and the kernels' per-thread scratch.
   */
  winogradPackBytesPerElement: 8.1,
  /** Packed copy of the other conv weights: f32 panels (native pack_conv_weight_panels), 4 bytes per element. */
  panelPackBytesPerElement: 4,
  /** Packed copy of a linear weight (bf16/f32 weights are packed in their own width: as many bytes as stored). */
  linearPackBytesPerStoredByte: 1,
  /** Packed-weight cache cap (native AIPROD_PACK_CACHE_MB, default 1024 MiB). */
  packCacheBytes: 1024 * 2 ** 20,
  /**
   * Live f32 values per token and model width inside a transformer block (counted in block.ts: the stream x, its
   * per-token AdaLN modulation (6 rows) and A/V modulation (5), RoPE cos/sin (2 + 2 cross), and at the
   * feed-forward's peak rms, modulated input, 4·D hidden and its GELU, the gate rows and the two snapshots).
   * Measured 30.2 on a width-512 transformer (stage-1 slope over 128-1280 video tokens).
   */
  transformerValuesPerTokenDim: 30,
  /**
   * Live f32 values per text token and model width (video + audio) in a transformer forward: the caption
   * projection's hidden, GELU and output, attn2's K and V and their head-layout copies (7 by count; 7.6 measured
   * on a width-512 transformer: stage-1 intercept above the weights).
   */
  contextValuesPerTokenDim: 7.6,
  /** Live f32 tensors of a VAE level's size at its peak (a conv's input and output; scratch is per plane). */
  vaeTensorsPerLevel: 2,
  /**
   * Bytes per decoded output voxel (pixel frame × row × column) of one temporal group that stay live: the blend
   * buffer (3 f32 channels + an f32 weight: 16) and the RGB24 bytes handed to the encoder; measured 21 (slope over
   * 1.1M-9.8M output voxels after the decoder-level term).
   */
  decodeBytesPerOutputVoxel: 21,
  /**
   * The decode's JS copies of tiles and frame chunks (12 bytes per voxel each) are garbage as soon as they are
   * used, but V8 frees them only when it collects. Measured: once two copies per voxel (24 bytes) pass 22 MiB,
   * 22 MiB of them are resident at the peak (the intercept of the decode's peak over 1.1M-9.8M output voxels);
   * below that (decodes under ~0.9M voxels) none are. Runs of one shape still differ by ±10% with V8's timing.
   */
  decodeJsGarbageBytesPerVoxel: 24,
  decodeJsGarbageMaxBytes: 22 * 2 ** 20,
  /** Bytes per element of the audio decoder's largest level (channels × mel frames × bins): tensors + conv scratch. */
  audioBytesPerLevelElement: 100,
  /** Bytes per element of the upsampler's mid-width activation (latent voxels at ×2 × mid channels). */
  upsamplerBytesPerElement: 24,
  /** JS overhead of any stage (V8 heap growth): the tiny transformer stages measure 0-8 MiB of noise around it. */
  stageOverheadBytes: 1 * 2 ** 20,
  /** The text stage's fixed part: tokenizer tables and the encoder's JS state. */
  textOverheadBytes: 12 * 2 ** 20,
  /** Text tokens per prompt (Gemma is run on prompts left-padded to 1024). */
  textTokens: 1024,
};

export type StageName = "text" | "conditioning" | "stage1" | "upsample" | "conditioning2" | "stage2" | "audio" | "decode";

export interface StageMemory {
  stage: StageName;
  /** Weights this stage holds while it runs. */
  weightsBytes: number;
  /** Its largest set of live activations (and workspace). */
  activationBytes: number;
  /** Data made by earlier stages and still held (text contexts, latents). */
  carriedBytes: number;
  overheadBytes: number;
  /** weights + activations + overhead: what the stage adds above the RSS it starts from. */
  workingSetBytes: number;
  /**
   * Of the weights, the clean pages mapped from the model files: RSS counts them, but the kernel can drop and
   * re-read them under pressure (the weights stream from the file), so memory only has to hold a window of them.
   */
  mappedBytes: number;
  /** The working set with the mapped weights cut to that window: what must fit in memory for the stage to run. */
  requiredBytes: number;
  /** Plain words: what dominates. */
  detail: string;
}

const C = MEMORY_CONSTANTS;
const MiB = 2 ** 20;

interface Weights {
  bytes: number;
  mapped: number;
  /** Mapped bytes that must stay resident. */
  window: number;
}

/** Conv models read every weight for every tile: the whole mapping is the window. */
function convWeights(w: WeightSize): Weights {
  const packed = w.winogradElements * C.winogradPackBytesPerElement + w.panelElements * C.panelPackBytesPerElement;
  return { bytes: w.storedBytes + w.elements * C.castBytesPerElement + Math.min(packed, C.packCacheBytes), mapped: w.storedBytes, window: w.storedBytes };
}

/** Layered models (transformer, Gemma) touch one layer at a time: two layers' mapped weights are the window. */
function linearWeights(w: WeightSize, layers: number): Weights {
  return { bytes: w.storedBytes + Math.min(w.storedBytes * C.linearPackBytesPerStoredByte, C.packCacheBytes), mapped: w.storedBytes, window: Math.min(w.storedBytes, (2 * w.storedBytes) / Math.max(layers, 1)) };
}

const NO_WEIGHTS: Weights = { bytes: 0, mapped: 0, window: 0 };

/** Elements of the largest activation (channels × voxels) along the video decoder, for a latent box t×h×w. */
export function decoderLargestLevel(facts: ModelFacts, t: number, h: number, w: number): number {
  const cfg = facts.vaeDecoder.config;
  let c = decoderBottleneckChannels(cfg);
  let largest = c * t * h * w;
  for (const b of [...cfg.decoderBlocks].reverse()) {
    if (b.name === "res_x") continue;
    if (b.name === "res_x_y") {
      c /= b.multiplier;
    } else {
      const [st, sh, sw] = blockStride(b.name);
      // Depth-to-space: the conv makes c·st·sh·sw/multiplier channels at the input size, then shuffles; the
      // temporal shuffle drops its first frame.
      largest = Math.max(largest, (c * st * sh * sw / b.multiplier) * t * h * w);
      t = t * st - (st > 1 ? 1 : 0);
      h *= sh;
      w *= sw;
      c /= b.multiplier;
    }
    largest = Math.max(largest, c * t * h * w);
  }
  return Math.max(largest, cfg.outChannels * cfg.patchSize ** 2 * t * h * w);
}

export interface DecodeShape {
  /** Latent grid [frames, height, width]. */
  grid: [number, number, number];
  tiling: TilingConfig;
}

/** Peak of the tiled decode: the largest tile's decoder activations + one temporal group of output. */
export function decodeActivationBytes(facts: ModelFacts, d: DecodeShape): { bytes: number; tiles: number; detail: string } {
  const scale = facts.vaeDecoder.config.scale;
  const tiles = decoderTiles(d.grid, d.tiling, scale);
  let tileLevel = 0, groupVoxels = 0;
  const groups = new Map<string, number>();
  for (const tile of tiles) {
    const [[t0, t1], [y0, y1], [x0, x1]] = tile.latent;
    tileLevel = Math.max(tileLevel, decoderLargestLevel(facts, t1 - t0, y1 - y0, x1 - x0));
    const key = `${tile.pixel[0][0]}:${tile.pixel[0][1]}`;
    groups.set(key, tile.pixel[0][1] - tile.pixel[0][0]);
  }
  const fullH = d.grid[1] * scale.height, fullW = d.grid[2] * scale.width;
  for (const frames of groups.values()) groupVoxels = Math.max(groupVoxels, frames * fullH * fullW);
  const act = tileLevel * 4 * C.vaeTensorsPerLevel;
  const garbage = groupVoxels * C.decodeJsGarbageBytesPerVoxel >= C.decodeJsGarbageMaxBytes ? C.decodeJsGarbageMaxBytes : 0;
  const out = groupVoxels * C.decodeBytesPerOutputVoxel + garbage;
  return { bytes: act + out, tiles: tiles.length, detail: `${tiles.length} tile(s): decoder ${mib(act)}, output group ${mib(out)}` };
}

function mib(b: number): string {
  return `${(b / MiB).toFixed(b < 10 * MiB ? 1 : 0)} MiB`;
}

function grid(frames: number, width: number, height: number): [number, number, number] {
  return [(frames - 1) / 8 + 1, height / 32, width / 32];
}

/** Every stage's memory for `p` with the given decode tiling. */
export function stageMemory(p: ResolvedParams, facts: ModelFacts, tiling: TilingConfig): StageMemory[] {
  const cfg = facts.transformer.config;
  const dv = videoInnerDim(cfg), da = audioInnerDim(cfg);
  const twoStage = TWO_STAGE.has(p.pipeline);
  const guided = p.pipeline === "ti2vid_one_stage" || p.pipeline === "ti2vid_two_stages" || p.pipeline === "keyframe_interpolation";
  const prompts = guided ? 2 : 1;
  const g1 = twoStage ? grid(p.numFrames, p.width / 2, p.height / 2) : grid(p.numFrames, p.width, p.height);
  const g2 = grid(p.numFrames, p.width, p.height);
  const na = audioLatentFrames(p.numFrames, p.fps);
  const out: StageMemory[] = [];
  const stage = (s: Omit<StageMemory, "workingSetBytes" | "overheadBytes" | "weightsBytes" | "mappedBytes" | "requiredBytes"> & { weights: Weights }): void => {
    const { weights, ...rest } = s;
    const weightsBytes = Math.ceil(weights.bytes), activationBytes = Math.ceil(s.activationBytes);
    const workingSetBytes = weightsBytes + activationBytes + C.stageOverheadBytes;
    out.push({ ...rest, weightsBytes, activationBytes, overheadBytes: C.stageOverheadBytes, workingSetBytes, mappedBytes: weights.mapped, requiredBytes: Math.ceil(workingSetBytes - weights.mapped + weights.window) });
  };

  // Text: Gemma (mapped, packed per linear), every hidden state of every prompt in f32, then the text side.
  const contexts = prompts * C.textTokens * (dv + da) * 4;
  const hidden = prompts * (facts.gemma.layers + 1) * C.textTokens * facts.gemma.hiddenSize * 4;
  stage({ stage: "text", weights: linearWeights(facts.gemma, facts.gemma.layers), activationBytes: hidden + contexts + C.textOverheadBytes, carriedBytes: 0, detail: `Gemma ${mib(facts.gemma.storedBytes)} stored, ${prompts} prompt(s) of hidden states ${mib(hidden)}` });

  // Image conditioning VAE-encodes one frame per image; the encoder's levels mirror the decoder's, so the decoder's
  // largest level for a one-frame latent bounds its activations.
  const encodeImages = (g: [number, number, number]) => {
    const n = p.images.length;
    const act = n ? decoderLargestLevel(facts, 1, g[1], g[2]) * 4 * C.vaeTensorsPerLevel : 0;
    return { weights: n ? convWeights(facts.vaeEncoder) : NO_WEIGHTS, activationBytes: act, carriedBytes: contexts, detail: n ? `${n} image(s) VAE-encoded` : "no images" };
  };
  const cond1 = encodeImages(g1);
  stage({ ...cond1, stage: "conditioning" });

  const tokens = (g: [number, number, number], extra: number) => g[0] * g[1] * g[2] + extra;
  const imageTokens = (g: [number, number, number]) => p.images.filter((i) => i.frame !== 0 || p.pipeline === "keyframe_interpolation").length * g[1] * g[2];
  // IC-LoRA reference tokens (stages/conditionImages.ts referenceClip): the stage-1 size / downscale, frame 0 and
  // every S-th frame after it, cut to 8k+1.
  const picked = 1 + Math.ceil((p.numFrames - 1) / facts.referenceTemporalScale);
  const refFrames = (picked - 1 - ((picked - 1) % 8)) / 8 + 1;
  const refTokens = p.referenceVideo ? refFrames * (g1[1] / facts.referenceDownscale) * (g1[2] / facts.referenceDownscale) : 0;
  const transformerStage = (name: "stage1" | "stage2", g: [number, number, number], extra: number, loraElements: number): void => {
    const nv = tokens(g, extra);
    const perBlock = (nv * dv + na * da) * C.transformerValuesPerTokenDim * 4 + C.textTokens * (dv + da) * C.contextValuesPerTokenDim * 4;
    // A reference with attention strength < 1 adds a dense [N, N] f32 bias (conditioning/referenceLatent.ts).
    const bias = name === "stage1" && p.referenceVideo && p.referenceVideo.attentionStrength < 1 ? nv * nv * 4 : 0;
    // Fused LoRA weights are new f32 tensors (W + s·B·A) of every targeted module.
    const fused = loraElements * 4;
    stage({
      stage: name, weights: (({ bytes, mapped, window }) => ({ bytes: bytes + fused, mapped, window }))(linearWeights(facts.transformer, cfg.numLayers)), activationBytes: perBlock + bias, carriedBytes: contexts,
      detail: `${nv} video + ${na} audio tokens, block activations ${mib(perBlock)}${bias ? `, attention bias ${mib(bias)}` : ""}`,
    });
  };
  const userLoraFused = facts.loras.elements > 0 ? loraTargetElements(facts) : 0;
  transformerStage("stage1", g1, imageTokens(g1) + refTokens, userLoraFused);
  if (twoStage) {
    const up = facts.upsampler!;
    const act = g1[0] * g1[1] * 2 * g1[2] * 2 * up.midChannels * C.upsamplerBytesPerElement;
    stage({ stage: "upsample", weights: convWeights(up), activationBytes: act, carriedBytes: contexts, detail: `latent ${g1.join("x")} → ×2 at ${up.midChannels} channels` });
    const cond2 = encodeImages(g2);
    stage({ ...cond2, stage: "conditioning2" });
    const distilled = p.pipeline === "ti2vid_two_stages" || p.pipeline === "keyframe_interpolation" ? loraTargetElements(facts, true) : 0;
    transformerStage("stage2", g2, imageTokens(g2), (p.pipeline === "ic_lora" ? 0 : userLoraFused) + distilled);
  }
  const gFinal = twoStage ? g2 : g1;
  if (facts.audio) {
    const a = facts.audio;
    const mel = Math.max(4 * na - 3, 1);
    const levels = a.vae.chMult.map((m, i) => a.vae.ch * m * mel * (a.vae.melBins / 2 ** i));
    const vocLevels = a.vocoderConfig.upsampleRates.map((_, i) => (a.vocoderConfig.upsampleInitialChannel / 2 ** (i + 1)) * mel * a.vocoderConfig.upsampleRates.slice(0, i + 1).reduce((x, y) => x * y, 1));
    const largest = Math.max(...levels, ...vocLevels);
    stage({
      stage: "audio", weights: ((x: Weights, y: Weights) => ({ bytes: x.bytes + y.bytes, mapped: x.mapped + y.mapped, window: x.window + y.window }))(convWeights(a.decoder), convWeights(a.vocoder)), activationBytes: largest * C.audioBytesPerLevelElement, carriedBytes: 0,
      detail: `${mel} mel frames, audio decoder + vocoder weights ${mib(a.decoder.storedBytes + a.vocoder.storedBytes)} stored`,
    });
  }
  const dec = decodeActivationBytes(facts, { grid: gFinal, tiling });
  stage({ stage: "decode", weights: convWeights(facts.vaeDecoder), activationBytes: dec.bytes, carriedBytes: 0, detail: dec.detail });
  return out;
}

/** Elements of the modules a LoRA targets (out × in of each lora_B·lora_A pair), from the facts' header scan. */
function loraTargetElements(facts: ModelFacts, distilled = false): number {
  return (distilled ? facts.distilledLora?.fusedElements : facts.loras.fusedElements) ?? 0;
}
