// BasicAVTransformerBlock (transformer.py): per stream, AdaLN-modulated self-attention, text cross-attention,
// then audio<->video cross-attention reading the pre-exchange snapshots of both streams, then the gated
// feed-forward. Row order of scale_shift_table: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp;
// of the A/V tables: scale_a2v, shift_a2v, scale_v2a, shift_v2a, gate.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { adaLN, addMul, normAdaLN, rmsNorm } from "../../../runtime/norm.js";
import { addBroadcast, narrow, reshape } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { Attention, type RopeTable } from "./attention.js";
import { audioInnerDim, type TransformerConfig, videoInnerDim } from "./config.js";
import { FeedForward } from "./feedForward.js";
import { disposeAll, modulationRows } from "./modulation.js";
import { param } from "./weights.js";

/** What one stream brings to a block (built once per forward by the model). */
export interface StreamState {
  x: Tensor;
  /** adaln_single modulation [B, T, 6D]. */
  modulation: Tensor;
  /** Text context after the caption projection [B, S, D]. */
  context: Tensor;
  pe: RopeTable;
  /** Time-only RoPE for the A<->V attentions (inner width = audio_cross_attention_dim). */
  crossPe: RopeTable;
  /** av_ca_*_scale_shift_adaln_single modulation [B, T, 4D]. */
  crossModulation: Tensor;
  /** av_ca_*_gate_adaln_single modulation [B, 1, D] (from the other stream's σ). */
  crossGate: Tensor;
  selfAttentionMask?: Tensor;
  /** 2.3 with use_prompt_adaln_single: prompt_adaln_single(σ·1000) modulation [B, 1, 2D]. */
  promptModulation?: Tensor;
}

export interface BlockPerturbations {
  /** STG: self-attention replaced by the value pass-through in this block. */
  skipVideoSelfAttention?: boolean;
  skipAudioSelfAttention?: boolean;
  skipA2V?: boolean;
  skipV2A?: boolean;
}

class Stream {
  readonly attn1: Attention;
  readonly attn2: Attention;
  readonly ff: FeedForward;
  readonly table: Tensor;
  /** scale_shift_table_a2v_ca_{video|audio} (5, D) */
  readonly avTable: Tensor;
  /** 2.3: {audio_}prompt_scale_shift_table (2, D): rows shift_kv, scale_kv. */
  readonly promptTable?: Tensor;

  constructor(src: WeightSource, p: string, names: { attn1: string; attn2: string; ff: string; table: string; avTable: string; promptTable: string },
    dim: number, contextDim: number, heads: number, headDim: number, eps: number, ffBias: boolean, readonly config: TransformerConfig) {
    const gated = config.gatedAttention;
    this.attn1 = new Attention(src, `${p}.${names.attn1}`, dim, dim, heads, headDim, eps, gated);
    this.attn2 = new Attention(src, `${p}.${names.attn2}`, dim, contextDim, heads, headDim, eps, gated);
    this.ff = new FeedForward(src, `${p}.${names.ff}`, dim, ffBias);
    this.table = param(src, `${p}.${names.table}`, [config.crossAttentionAdaln ? 9 : 6, dim]);
    this.avTable = param(src, `${p}.${names.avTable}`, [5, dim]);
    if (config.crossAttentionAdaln) this.promptTable = param(src, `${p}.${names.promptTable}`, [2, dim]);
  }

  /** Text cross-attention; 2.3: query modulated by rows 6-8 and K/V by the prompt table (+ σ's modulation). */
  #textCrossAttention(xn: Tensor, x1: Tensor, s: StreamState): Tensor {
    if (!this.promptTable) return this.attn2.forward(xn, { context: s.context, residual: x1 });
    const [shiftQ, scaleQ, gate] = modulationRows(this.table, s.modulation, 6, 3) as [Tensor, Tensor, Tensor];
    const d = this.promptTable.shape[1]!;
    // K/V modulation per batch row: table (2, D) + prompt modulation [B, 1, 2D] (or the table alone).
    const kv = s.promptModulation
      ? modulationRows(this.promptTable, s.promptModulation)
      : [0, 1].map((r) => {
        using row = narrow(this.promptTable!, 0, r, 1);
        return reshape(row, [d]);
      });
    try {
      using q = adaLN(xn, scaleQ, shiftQ);
      using ctx = adaLN(s.context, kv[1]!, kv[0]!);
      return this.attn2.forward(q, { context: ctx, gate, residual: x1 });
    } finally {
      disposeAll([shiftQ, scaleQ, gate, ...kv]);
    }
  }

  /** Steps 1-4: self-attention and text cross-attention. */
  attentions(s: StreamState, eps: number, skipSelf: boolean): Tensor {
    const [shift, scale, gate] = modulationRows(this.table, s.modulation, 0, 3) as [Tensor, Tensor, Tensor];
    try {
      using xs = normAdaLN(s.x, scale, shift, { rms: true, eps });
      using x1 = this.attn1.forward(xs, {
        pe: s.pe, gate, residual: s.x, valuePassThrough: skipSelf,
        ...(s.selfAttentionMask ? { mask: s.selfAttentionMask } : {}),
      });
      using xn = rmsNorm(x1, { eps });
      return this.#textCrossAttention(xn, x1, s);
    } finally {
      disposeAll([shift, scale, gate]);
    }
  }

  /** Step 8: the gated feed-forward. */
  feedForward(x: Tensor, modulation: Tensor, eps: number): Tensor {
    const [shift, scale, gate] = modulationRows(this.table, modulation, 3, 3) as [Tensor, Tensor, Tensor];
    try {
      using xs = normAdaLN(x, scale, shift, { rms: true, eps });
      return this.ff.forward(xs, gate, x);
    } finally {
      disposeAll([shift, scale, gate]);
    }
  }

  /** rms(x)·(1 + scale) + shift with the A/V table rows `from` (scale) and `from+1` (shift). */
  avInput(normed: Tensor, s: StreamState, from: number): Tensor {
    using scaleShiftTable = narrow(this.avTable, 0, 0, 4);
    const [scale, shift] = modulationRows(scaleShiftTable, s.crossModulation, from, 2) as [Tensor, Tensor];
    try {
      return adaLN(normed, scale, shift);
    } finally {
      disposeAll([scale, shift]);
    }
  }

  /** Gate row 4 of the A/V table + the gate modulation: [B, 1, D]. */
  avGate(s: StreamState): Tensor {
    using row = narrow(this.avTable, 0, 4, 1);
    return addBroadcast(s.crossGate, row);
  }

  dispose(): void {
    this.attn1.dispose();
    this.attn2.dispose();
    this.ff.dispose();
    this.table.dispose();
    this.avTable.dispose();
    this.promptTable?.dispose();
  }
}

/** x + attn(q from the query stream, k/v from the other stream) · gate of the query stream. */
function exchange(attn: Attention, [qStream, qState, qNormed, x]: [Stream, StreamState, Tensor, Tensor],
  [kvStream, kvState, kvNormed]: [Stream, StreamState, Tensor], rows: number): Tensor {
  using q = qStream.avInput(qNormed, qState, rows);
  using kv = kvStream.avInput(kvNormed, kvState, rows);
  using out = attn.forward(q, { context: kv, pe: qState.crossPe, kPe: kvState.crossPe });
  using gate = qStream.avGate(qState);
  return addMul(x, out, gate);
}

export class BasicAVTransformerBlock {
  readonly video: Stream;
  readonly audio: Stream;
  readonly audioToVideoAttn: Attention;
  readonly videoToAudioAttn: Attention;

  constructor(src: WeightSource, readonly index: number, readonly config: TransformerConfig) {
    const p = `transformer_blocks.${index}`;
    const dv = videoInnerDim(config), da = audioInnerDim(config), eps = config.normEps;
    this.video = new Stream(src, p, { attn1: "attn1", attn2: "attn2", ff: "ff", table: "scale_shift_table", avTable: "scale_shift_table_a2v_ca_video", promptTable: "prompt_scale_shift_table" },
      dv, config.crossAttentionDim, config.heads, config.headDim, eps, config.ffBias, config);
    this.audio = new Stream(src, p, { attn1: "audio_attn1", attn2: "audio_attn2", ff: "audio_ff", table: "audio_scale_shift_table", avTable: "scale_shift_table_a2v_ca_audio", promptTable: "audio_prompt_scale_shift_table" },
      da, config.audioCrossAttentionDim, config.audioHeads, config.audioHeadDim, eps, config.audioFfBias, config);
    // Both A<->V attentions run with the audio stream's heads (Q video/K,V audio and the reverse).
    this.audioToVideoAttn = new Attention(src, `${p}.audio_to_video_attn`, dv, da, config.audioHeads, config.audioHeadDim, eps, config.gatedAttention);
    this.videoToAudioAttn = new Attention(src, `${p}.video_to_audio_attn`, da, dv, config.audioHeads, config.audioHeadDim, eps, config.gatedAttention);
  }

  /** One block over both streams; returns the new stream tensors (the inputs are left alone). */
  forward(video: StreamState, audio: StreamState, perturb: BlockPerturbations = {}): { video: Tensor; audio: Tensor } {
    const eps = this.config.normEps;
    using v0 = this.video.attentions(video, eps, perturb.skipVideoSelfAttention ?? false);
    using a0 = this.audio.attentions(audio, eps, perturb.skipAudioSelfAttention ?? false);
    // Both exchanges read the snapshots v0, a0 (pre-exchange), as upstream does.
    using vn = rmsNorm(v0, { eps });
    using an = rmsNorm(a0, { eps });
    let vx: Tensor = v0, ax: Tensor = a0;
    try {
      // A2V: video queries audio with the (scale, shift) rows 0-1 of both A/V tables; V2A the reverse, rows 2-3.
      if (!perturb.skipA2V) vx = exchange(this.audioToVideoAttn, [this.video, video, vn, v0], [this.audio, audio, an], 0);
      if (!perturb.skipV2A) ax = exchange(this.videoToAudioAttn, [this.audio, audio, an, a0], [this.video, video, vn], 2);
      return {
        video: this.video.feedForward(vx, video.modulation, eps),
        audio: this.audio.feedForward(ax, audio.modulation, eps),
      };
    } finally {
      if (vx !== v0) vx.dispose();
      if (ax !== a0) ax.dispose();
    }
  }

  dispose(): void {
    this.video.dispose();
    this.audio.dispose();
    this.audioToVideoAttn.dispose();
    this.videoToAudioAttn.dispose();
  }
}
