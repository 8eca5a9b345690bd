// VideoConditionByReferenceLatent (upstream conditioning/types/reference_video_cond.py): IC-LoRA reference-video
// tokens appended after the target (latent 0, clean = reference latent, mask 1 − strength). Their positions use
// the target's pixel grid with causal fix, time divided by fps/S (S = temporal scale factor) and shifted so the
// last reference patch ends with the target's, height/width multiplied by the downscale factor d, so that a
// reference at 1/d resolution overlaps the target it controls.
import { videoPositions } from "../transformer/positions.js";
import { appendTokens, conditioningError, growAttention, type LatentState } from "./latentState.js";
import type { LatentGrid } from "./latentIndex.js";

export class VideoConditionByReferenceLatent {
  constructor(
    readonly tokens: Float32Array,
    readonly grid: LatentGrid,
    readonly downscaleFactor = 1,
    readonly temporalScaleFactor = 1,
    readonly strength = 1,
  ) {}

  applyTo(state: LatentState, fps: number): LatentState {
    const s = this.temporalScaleFactor, d = this.downscaleFactor;
    if (!Number.isInteger(s) || s < 1 || !Number.isInteger(d) || d < 1) throw conditioningError(`reference scale factors must be positive integers (temporal ${s}, spatial ${d})`);
    // Pixel frames with the causal fix, then seconds at fps / S (one f32 division, as upstream's in-place /=).
    const pos = videoPositions(this.grid, 1, { causalFix: true });
    const n = pos.tokens;
    const rate = Math.fround(fps / s);
    // t_target: the end time of the target's first token (1/fps with the causal fix).
    const tTarget = state.positions.data[1]!;
    for (let i = 0; i < 2 * n; i++) {
      let v = Math.fround(pos.data[i]! / rate);
      if (s !== 1) v = Math.max(0, Math.fround(v - Math.fround((s - 1) * tTarget)));
      pos.data[i] = v;
    }
    if (d !== 1) for (let i = 2 * n; i < 6 * n; i++) pos.data[i] = Math.fround(pos.data[i]! * d);
    return appendTokens(state, this.tokens, pos, this.strength);
  }
}

/**
 * ConditioningItemAttentionStrengthWrapper: applies `inner` (which appends M tokens) and sets the attention
 * weights between the target tokens and the new ones to `weight` (a scalar or one value per new token, in
 * [0, 1]); the N×N block built so far is kept and other appended groups do not see the new tokens.
 */
export function withAttentionStrength(state: LatentState, apply: (s: LatentState) => LatentState, weight: number | Float32Array): LatentState {
  const next = apply(state);
  const n = state.mask.length;
  const m = next.mask.length - n;
  if (m === 0) return next;
  const cross = typeof weight === "number" ? new Float32Array(m).fill(weight) : weight;
  if (cross.length !== m) throw conditioningError(`attention weights have ${cross.length} values; the item appended ${m} tokens`);
  for (const w of cross) if (!(w >= 0 && w <= 1)) throw conditioningError(`attention weights must be in [0, 1], got ${w}`);
  return { ...next, attention: growAttention(state.attention, n, m, state.targetTokens, cross) };
}

/**
 * The transformer's additive self-attention bias from weights in [0, 1] (transformer_args
 * `_prepare_self_attention_mask`): log(max(w, tiny)) for w > 0, the dtype's lowest value for w = 0; [1, 1, T, T].
 */
export function attentionBias(weights: Float32Array): Float32Array {
  const TINY = 1.1754943508222875e-38; // float32 finfo.tiny
  const LOWEST = -3.4028234663852886e38; // float32 finfo.min
  const out = new Float32Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    out[i] = w > 0 ? Math.fround(Math.log(Math.max(w, TINY))) : LOWEST;
  }
  return out;
}
