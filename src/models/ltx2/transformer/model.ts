// LTXModel (model.py) for the audio+video 19B family: patchify projections, AdaLN-single per token, caption
// projections, RoPE tables, the dual-stream blocks and the output heads (LayerNorm, modulation by the raw
// timestep embedding, proj_out). Predicts velocity; X0Model turns it into x̂₀ = x − v·σ_token.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { geluTanh } from "../../../runtime/activation.js";
import { normAdaLN } from "../../../runtime/norm.js";
import { concat, reshape } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { toDenoised } from "../components/diffusionSteps.js";
import type { RopeTable } from "./attention.js";
import { type BlockPerturbations, BasicAVTransformerBlock, type StreamState } from "./block.js";
import { type BlockResidency, resolveBlockResidency } from "./blockResidency.js";
import { withAsyncUploads } from "../../../runtime/device.js";
import { audioInnerDim, type TransformerConfig, videoInnerDim } from "./config.js";
import { disposeAll, modulationRows } from "./modulation.js";
import { activationDtype, type Positions, ropeTables, timeOnly } from "./rope.js";
import { AdaLayerNormSingle } from "./timestepEmbedding.js";
import { applyLinear, disposeLinear, type LinearWeights, loadLinear, param } from "./weights.js";

/** One modality's input (transformer_args.py Modality). */
export interface ModalityInput {
  /** Tokens [B, T, in_channels], f32. */
  latent: Tensor;
  /** Per-token timesteps σ·denoise_mask, B·T values (not yet ×1000). */
  timesteps: Float32Array;
  /** The scalar σ of each batch row (B values): drives the other stream's A<->V gate. */
  sigma: Float32Array;
  positions: Positions;
  /** Text features (the connector's output): [B, S, caption_channels] (19B) or [B, S, D] of the stream (2.3). */
  context: Tensor;
  /** Additive self-attention bias [B, 1, T, T] (IC-LoRA attention strength). */
  selfAttentionMask?: Tensor;
}

export interface ForwardOptions {
  /** STG: blocks whose self-attention is replaced by the value pass-through (both streams). */
  stgBlocks?: readonly number[];
  /** Modality guidance: drop every A<->V cross-attention. */
  skipAudioVideoCrossAttention?: boolean;
  /** Called after each block (progress, cancellation by throwing). */
  onBlock?: (index: number, count: number) => void;
}

/** PixArtAlphaTextProjection: linear_1 -> GELU(tanh) -> linear_2. */
class CaptionProjection {
  readonly linear1: LinearWeights;
  readonly linear2: LinearWeights;
  constructor(src: WeightSource, prefix: string, inFeatures: number, dim: number) {
    this.linear1 = loadLinear(src, `${prefix}.linear_1`, inFeatures, dim);
    this.linear2 = loadLinear(src, `${prefix}.linear_2`, dim, dim);
  }
  forward(x: Tensor): Tensor {
    using h = applyLinear(x, this.linear1);
    using g = geluTanh(h);
    return applyLinear(g, this.linear2);
  }
  dispose(): void {
    disposeLinear(this.linear1);
    disposeLinear(this.linear2);
  }
}

/** The per-stream modules outside the blocks. */
class StreamHead {
  readonly patchifyProj: LinearWeights;
  readonly adaln: AdaLayerNormSingle;
  /** 19B only (2.3 projects before the connector). */
  readonly captionProjection?: CaptionProjection;
  /** 2.3 with use_prompt_adaln_single: σ -> the K/V modulation of the text cross-attention. */
  readonly promptAdaln?: AdaLayerNormSingle;
  readonly scaleShiftTable: Tensor;
  readonly projOut: LinearWeights;
  readonly crossScaleShift: AdaLayerNormSingle;
  readonly crossGate: AdaLayerNormSingle;

  constructor(src: WeightSource, p: string, crossNames: [string, string], readonly dim: number, inChannels: number,
    outChannels: number, captionChannels: number, config: TransformerConfig) {
    this.patchifyProj = loadLinear(src, `${p}patchify_proj`, inChannels, dim);
    this.adaln = new AdaLayerNormSingle(src, `${p}adaln_single`, dim, config.crossAttentionAdaln ? 9 : 6);
    if (!config.captionProjBeforeConnector) this.captionProjection = new CaptionProjection(src, `${p}caption_projection`, captionChannels, dim);
    if (config.crossAttentionAdaln && config.usePromptAdalnSingle) this.promptAdaln = new AdaLayerNormSingle(src, `${p}prompt_adaln_single`, dim, 2);
    this.scaleShiftTable = param(src, `${p}scale_shift_table`, [2, dim]);
    this.projOut = loadLinear(src, `${p}proj_out`, dim, outChannels);
    this.crossScaleShift = new AdaLayerNormSingle(src, crossNames[0], dim, 4);
    this.crossGate = new AdaLayerNormSingle(src, crossNames[1], dim, 1);
  }

  dispose(): void {
    disposeLinear(this.patchifyProj);
    this.adaln.dispose();
    this.captionProjection?.dispose();
    this.promptAdaln?.dispose();
    this.scaleShiftTable.dispose();
    disposeLinear(this.projOut);
    this.crossScaleShift.dispose();
    this.crossGate.dispose();
  }
}

interface Prepared {
  state: StreamState;
  embedding: Tensor;
  owned: Tensor[];
}

export interface LTXModelOptions {
  /** Blocks to instantiate (default all). */
  layers?: readonly number[];
  /** Block weights loaded once ("resident") or per forward, one block at a time ("streamed"); see blockResidency.ts. */
  blockWeights?: BlockResidency;
}

export class LTXModel {
  readonly video: StreamHead;
  readonly audio: StreamHead;
  /** The resident blocks (empty when the block weights are streamed). */
  readonly blocks: BasicAVTransformerBlock[];
  readonly layers: readonly number[];
  readonly blockWeights: BlockResidency;
  readonly #src: WeightSource;

  /** `src` holds the transformer keys without the `model.diffusion_model.` prefix. */
  constructor(src: WeightSource, readonly config: TransformerConfig, opts: LTXModelOptions = {}) {
    const c = config;
    this.video = new StreamHead(src, "", ["av_ca_video_scale_shift_adaln_single", "av_ca_a2v_gate_adaln_single"],
      videoInnerDim(c), c.inChannels, c.outChannels, c.captionChannels, c);
    this.audio = new StreamHead(src, "audio_", ["av_ca_audio_scale_shift_adaln_single", "av_ca_v2a_gate_adaln_single"],
      audioInnerDim(c), c.audioInChannels, c.audioOutChannels, c.captionChannels, c);
    const layers = opts.layers ?? Array.from({ length: c.numLayers }, (_, i) => i);
    for (const i of layers) {
      if (!Number.isInteger(i) || i < 0 || i >= c.numLayers) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2: layer ${i} is not in 0..${c.numLayers - 1}`);
    }
    this.#src = src;
    this.layers = layers;
    this.blockWeights = resolveBlockResidency(src, layers, opts.blockWeights);
    this.blocks = this.blockWeights === "resident" ? layers.map((i) => new BasicAVTransformerBlock(src, i, c)) : [];
  }

  #check(name: string, m: ModalityInput, inChannels: number, contextDim: number): [number, number] {
    const [b, t, ch] = m.latent.shape as [number, number, number];
    const fail = (why: string) => new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2: ${name} ${why}`);
    if (m.latent.shape.length !== 3 || ch !== inChannels) throw fail(`latent is [${m.latent.shape.join(",")}]; expected [B, T, ${inChannels}]`);
    if (m.timesteps.length !== b * t) throw fail(`timesteps has ${m.timesteps.length} values; expected B·T = ${b * t}`);
    if (m.sigma.length !== b) throw fail(`sigma has ${m.sigma.length} values; expected B = ${b}`);
    if (m.positions.batch !== b || m.positions.tokens !== t) throw fail(`positions are for ${m.positions.batch}×${m.positions.tokens} tokens; the latent has ${b}×${t}`);
    if (m.context.shape.length !== 3 || m.context.shape[0] !== b || m.context.shape[2] !== contextDim) {
      throw fail(`context is [${m.context.shape.join(",")}]; expected [${b}, S, ${contextDim}]`);
    }
    return [b, t];
  }

  #prepare(head: StreamHead, m: ModalityInput, other: ModalityInput, maxPos: readonly number[], heads: number, inChannels: number, name: string): Prepared {
    const c = this.config;
    // 19B: connector features (caption width) go through the caption projection; 2.3: already the stream width.
    const [b, t] = this.#check(name, m, inChannels, head.captionProjection ? c.captionChannels : head.dim);
    const owned: Tensor[] = [];
    const keep = <T extends Tensor>(x: T): T => (owned.push(x), x);
    try {
      const x = keep(applyLinear(m.latent, head.patchifyProj));
      const scaled = m.timesteps.map((v) => v * c.timestepScaleMultiplier);
      const { modulation, embedding } = head.adaln.forward(scaled, [b, t]);
      keep(modulation);
      const context = head.captionProjection ? keep(head.captionProjection.forward(m.context)) : m.context;
      // Tables in the activations' dtype, as upstream (x_dtype): bf16 for bf16/fp8 checkpoints, f32 for f32 runs.
      const ropeDtype = activationDtype(head.patchifyProj.weight.dtype);
      const rope = ropeTables(m.positions, maxPos, c.ropeTheta, head.dim, heads, ropeDtype);
      const pe: RopeTable = { cos: keep(rope.cos), sin: keep(rope.sin) };
      const crossMax = Math.max(c.maxPos[0]!, c.audioMaxPos[0]!);
      const cross = ropeTables(timeOnly(m.positions), [crossMax], c.ropeTheta, c.audioCrossAttentionDim, heads, ropeDtype);
      const crossPe: RopeTable = { cos: keep(cross.cos), sin: keep(cross.sin) };
      const crossSs = head.crossScaleShift.forward(scaled, [b, t]);
      crossSs.embedding.dispose();
      const crossModulation = keep(crossSs.modulation);
      // The gate follows the other modality's σ, scaled by av_ca_timestep_scale_multiplier (upstream's factor).
      const gateT = other.sigma.map((s) => s * c.timestepScaleMultiplier * (c.avCaTimestepScaleMultiplier / c.timestepScaleMultiplier));
      const gate = head.crossGate.forward(gateT, [b, 1]);
      gate.embedding.dispose();
      const crossGate = keep(gate.modulation);
      let promptModulation: Tensor | undefined;
      if (head.promptAdaln) {
        const prompt = head.promptAdaln.forward(m.sigma.map((s) => s * c.timestepScaleMultiplier), [b, 1]);
        prompt.embedding.dispose();
        promptModulation = keep(prompt.modulation);
      }
      const state: StreamState = { x, modulation, context, pe, crossPe, crossModulation, crossGate,
        ...(m.selfAttentionMask ? { selfAttentionMask: m.selfAttentionMask } : {}), ...(promptModulation ? { promptModulation } : {}) };
      return { state, embedding, owned };
    } catch (e) {
      disposeAll(owned);
      throw e;
    }
  }

  /** Output head: proj_out(LayerNorm(x)·(1 + scale) + shift), [shift, scale] = table + raw embedding. */
  #output(head: StreamHead, x: Tensor, embedding: Tensor): Tensor {
    const [b, t] = x.shape as [number, number];
    using emb2 = reshape(embedding, [b, t, head.dim]);
    // modulationRows wants a [B,T,n·D] modulation; the same raw embedding feeds both rows.
    using both = concat([emb2, emb2], -1);
    const [shift, scale] = modulationRows(head.scaleShiftTable, both, 0, 2) as [Tensor, Tensor];
    try {
      using m = normAdaLN(x, scale, shift, { eps: this.config.normEps });
      return applyLinear(m, head.projOut);
    } finally {
      disposeAll([shift, scale]);
    }
  }

  /** Velocity prediction for both streams: { video [B,T,out], audio [B,Ta,out] } (f32). */
  forward(video: ModalityInput, audio: ModalityInput, opts: ForwardOptions = {}): { video: Tensor; audio: Tensor } {
    const c = this.config;
    const v = this.#prepare(this.video, video, audio, c.maxPos, c.heads, c.inChannels, "video");
    let a: Prepared | undefined;
    try {
      a = this.#prepare(this.audio, audio, video, c.audioMaxPos, c.audioHeads, c.audioInChannels, "audio");
      const stg = new Set(opts.stgBlocks ?? []);
      let vx = v.state.x, ax = a.state.x;
      // Streamed block weights are double-buffered: block n+1's weights are uploaded (on the copy stream, on cuda)
      // while block n's kernels run, so two blocks' weights are on the device at a time.
      const streamed = this.blocks.length === 0;
      const load = (i: number) => withAsyncUploads(() => new BasicAVTransformerBlock(this.#src, i, c));
      let next = streamed && this.layers.length ? load(this.layers[0]!) : undefined;
      try {
        for (const [n, index] of this.layers.entries()) {
          const perturb: BlockPerturbations = {
            skipVideoSelfAttention: stg.has(index), skipAudioSelfAttention: stg.has(index),
            skipA2V: opts.skipAudioVideoCrossAttention ?? false, skipV2A: opts.skipAudioVideoCrossAttention ?? false,
          };
          const block = streamed ? next! : this.blocks[n]!;
          next = undefined;
          let out: { video: Tensor; audio: Tensor };
          try {
            out = block.forward({ ...v.state, x: vx }, { ...a.state, x: ax }, perturb);
            if (streamed && n + 1 < this.layers.length) next = load(this.layers[n + 1]!);
          } finally {
            if (streamed) block.dispose();
          }
          if (vx !== v.state.x) vx.dispose();
          if (ax !== a.state.x) ax.dispose();
          vx = out.video;
          ax = out.audio;
          opts.onBlock?.(n, this.layers.length);
        }
      } finally {
        next?.dispose();
      }
      try {
        return { video: this.#output(this.video, vx, v.embedding), audio: this.#output(this.audio, ax, a.embedding) };
      } finally {
        if (vx !== v.state.x) vx.dispose();
        if (ax !== a.state.x) ax.dispose();
      }
    } finally {
      disposeAll([...v.owned, v.embedding, ...(a ? [...a.owned, a.embedding] : [])]);
    }
  }

  dispose(): void {
    this.video.dispose();
    this.audio.dispose();
    for (const b of this.blocks) b.dispose();
  }
}

/** X0Model: x̂₀ = x − v·t_token per token, in f32 (utils.to_denoised). */
export function velocityToX0(latent: Tensor, velocity: Tensor, timesteps: Float32Array): Float32Array {
  const channels = latent.shape[latent.shape.length - 1]!;
  return toDenoised(latent.toFloat32(), velocity.toFloat32(), timesteps, channels);
}
