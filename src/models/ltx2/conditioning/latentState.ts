// The latent state one diffusion stage works on (upstream `ltx_core/types.py::LatentState` and `tools.py`), for
// batch 1 in token layout: `latent` and `clean` are [T, C] row-major, `mask` is one denoise value per token
// (1 = generate, 0 = keep `clean`), `positions` the RoPE bounds of every token. The first `targetTokens` tokens
// are the video (or audio) being generated; conditioning items may overwrite some of them (replacement) or
// append tokens after them, which `clearConditioning` cuts off again after the loop.
import { AiprodError } from "../../../native/errors.js";
import { permute, reshape } from "../../../runtime/shape.js";
import { Tensor } from "../../../runtime/tensor.js";
import type { Positions } from "../transformer/rope.js";

export interface LatentState {
  latent: Float32Array;
  clean: Float32Array;
  mask: Float32Array;
  positions: Positions;
  channels: number;
  /** Tokens of the generated media; appended conditioning tokens follow them. */
  targetTokens: number;
  /** Self-attention weights in [0, 1], [T, T] row-major (IC-LoRA attention strength); absent = full attention. */
  attention?: Float32Array;
}

export function conditioningError(message: string): AiprodError {
  return new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.conditioning: ${message}`);
}

export function tokenCount(s: LatentState): number {
  return s.mask.length;
}

/** `create_initial_state`: latent = clean = `initial` (zeros when absent), mask all 1. */
export function createInitialState(positions: Positions, channels: number, initial?: Float32Array): LatentState {
  if (positions.batch !== 1) throw conditioningError(`latent states are batch 1, got positions for batch ${positions.batch}`);
  const n = positions.tokens * channels;
  if (initial && initial.length !== n) throw conditioningError(`initial latent has ${initial.length} values; expected ${positions.tokens} tokens × ${channels}`);
  const latent = initial ? Float32Array.from(initial) : new Float32Array(n);
  return { latent, clean: Float32Array.from(latent), mask: new Float32Array(positions.tokens).fill(1), positions, channels, targetTokens: positions.tokens };
}

/** Positions of `a` followed by those of `b` (same dims), per dimension. */
export function concatPositions(a: Positions, b: Positions): Positions {
  if (a.dims !== b.dims || a.batch !== 1 || b.batch !== 1) throw conditioningError(`cannot join positions with ${a.dims} and ${b.dims} dims`);
  const tokens = a.tokens + b.tokens;
  const data = new Float32Array(a.dims * tokens * 2);
  for (let d = 0; d < a.dims; d++) {
    data.set(a.data.subarray(d * a.tokens * 2, (d + 1) * a.tokens * 2), d * tokens * 2);
    data.set(b.data.subarray(d * b.tokens * 2, (d + 1) * b.tokens * 2), (d * tokens + a.tokens) * 2);
  }
  return { data, batch: 1, dims: a.dims, tokens };
}

/** Appends tokens with latent 0 (placeholder), clean = `tokens`, mask 1 − strength (the keyframe/reference items). */
export function appendTokens(s: LatentState, tokens: Float32Array, positions: Positions, strength: number): LatentState {
  const m = positions.tokens;
  if (tokens.length !== m * s.channels) throw conditioningError(`appended tokens have ${tokens.length} values; expected ${m} × ${s.channels}`);
  const n = tokenCount(s);
  const latent = new Float32Array((n + m) * s.channels);
  latent.set(s.latent);
  const clean = new Float32Array((n + m) * s.channels);
  clean.set(s.clean);
  clean.set(tokens, n * s.channels);
  const mask = new Float32Array(n + m);
  mask.set(s.mask);
  mask.fill(Math.fround(1 - strength), n);
  // An existing attention matrix grows with full attention for the new tokens (update_attention_mask with None).
  const attention = s.attention ? growAttention(s.attention, n, m, s.targetTokens, new Float32Array(m).fill(1)) : undefined;
  return { ...s, latent, clean, mask, positions: concatPositions(s.positions, positions), ...(attention ? { attention } : {}) };
}

/**
 * `build_attention_mask`: [N+M]² weights. The old N×N block is kept (1 when there was none), new↔new = 1,
 * target↔new = `cross` per new token (both directions), earlier appended groups ↔ new = 0.
 */
export function growAttention(existing: Float32Array | undefined, n: number, m: number, targetTokens: number, cross: Float32Array): Float32Array {
  const total = n + m;
  const out = new Float32Array(total * total);
  for (let i = 0; i < n; i++) {
    if (existing) out.set(existing.subarray(i * n, (i + 1) * n), i * total);
    else out.fill(1, i * total, i * total + n);
  }
  for (let i = n; i < total; i++) out.fill(1, i * total + n, (i + 1) * total);
  for (let i = 0; i < targetTokens; i++) out.set(cross, i * total + n);
  for (let j = 0; j < m; j++) for (let i = 0; i < targetTokens; i++) out[(n + j) * total + i] = cross[j]!;
  return out;
}

/** `clear_conditioning`: the target tokens only (appended conditioning tokens removed), as [T, C]. */
export function clearConditioning(s: LatentState, values: Float32Array = s.latent): Float32Array {
  return values.slice(0, s.targetTokens * s.channels);
}

/** Video latent [1, C, F, H, W] → tokens [F·H·W, C] (patch size 1: "b c f h w -> b (f h w) c"). */
export function videoTokens(latent: Tensor): Float32Array {
  if (latent.shape.length !== 5 || latent.shape[0] !== 1) throw conditioningError(`expected a video latent [1, C, F, H, W], got [${latent.shape.join(",")}]`);
  using p = permute(latent, [0, 2, 3, 4, 1]);
  return p.toFloat32();
}

/** Tokens [F·H·W, C] → video latent [1, C, F, H, W]. */
export function videoLatentFromTokens(tokens: Float32Array, grid: { frames: number; height: number; width: number }, channels: number): Tensor {
  using t = Tensor.from(tokens, [1, grid.frames, grid.height, grid.width, channels]);
  return permute(t, [0, 4, 1, 2, 3]);
}

/** Audio latent [1, C, T, F] → tokens [T, C·F] ("b c t f -> b t (c f)"). */
export function audioTokens(latent: Tensor): Float32Array {
  if (latent.shape.length !== 4 || latent.shape[0] !== 1) throw conditioningError(`expected an audio latent [1, C, T, F], got [${latent.shape.join(",")}]`);
  using p = permute(latent, [0, 2, 1, 3]);
  return p.toFloat32();
}

/** Tokens [T, C·F] → audio latent [1, C, T, F]. */
export function audioLatentFromTokens(tokens: Float32Array, frames: number, channels: number, bins: number): Tensor {
  using t = Tensor.from(tokens, [1, frames, channels, bins]);
  return permute(t, [0, 2, 1, 3]);
}

/** Reshape helper kept here so callers need not know the view rules: [T, C] values as a [1, T, C] tensor. */
export function tokensTensor(values: Float32Array, channels: number): Tensor {
  using flat = Tensor.from(values, [values.length]);
  return reshape(flat, [1, values.length / channels, channels]);
}
