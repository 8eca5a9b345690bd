// Independent float64 model of the LTX-2 (19B family) transformer and text connector, written from the formulas
// in reference/ltx2-architecture.md sections 3 and 5 (not from the engine's code). Weights come in as a map of
// float64 arrays keyed by checkpoint name (without the model prefix).
import { layerNorm, roundBf16 } from "../helpers/reference.js";

export type Weights = Map<string, { data: Float64Array; shape: number[] }>;

export interface RefModality {
  /** [T, C] tokens (batch 1). */
  latent: Float64Array;
  tokens: number;
  /** σ·mask per token. */
  timesteps: Float64Array;
  sigma: number;
  /** Per token and axis: [start, end). positions[a][t] = [s, e]. */
  positions: [number, number][][];
  /** [S, caption] */
  context: Float64Array;
  contextTokens: number;
}

export interface RefConfig {
  heads: number; headDim: number; audioHeads: number; audioHeadDim: number; layers: number;
  captionChannels: number; maxPos: number[]; audioMaxPos: number[]; crossDim: number; theta: number;
  avCaMultiplier: number;
  /** 2.3: 9-row tables, query AdaLN rows 6-8 and K/V modulation by the prompt tables (+ prompt_adaln_single). */
  crossAttentionAdaln?: boolean;
  /** dtype of the RoPE tables: the activations' (default bf16, upstream's bf16 pipelines). */
  ropeDtype?: "f32" | "bf16";
}

const W = (w: Weights, k: string) => {
  const v = w.get(k);
  if (!v) throw new Error(`reference: missing ${k}`);
  return v;
};

/** y[r, o] = Σ_i x[r, i]·W[o, i] + b[o] */
export function linear(w: Weights, key: string, x: Float64Array, rows: number, bias = true): Float64Array {
  const m = W(w, `${key}.weight`);
  const [out, inF] = m.shape as [number, number];
  const b = bias ? W(w, `${key}.bias`).data : undefined;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * m.data[o * inF + i]!;
      y[r * out + o] = s;
    }
  }
  return y;
}

export function rms(x: Float64Array, d: number, weight?: Float64Array, eps = 1e-6): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[r * d + i]! ** 2;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = x[r * d + i]! * inv * (weight ? weight[i]! : 1);
  }
  return y;
}

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));
const map = (x: Float64Array, f: (v: number) => number) => x.map(f);

/** sinusoid(256): [cos(t·f_i), sin(t·f_i)], f_i = exp(−ln(10⁴)·i/128). */
export function sinusoid(t: number): Float64Array {
  const out = new Float64Array(256);
  for (let i = 0; i < 128; i++) {
    const a = t * Math.exp((-Math.log(10000) * i) / 128);
    out[i] = Math.cos(a);
    out[128 + i] = Math.sin(a);
  }
  return out;
}

/** AdaLN-single: returns [modulation (rows × coef·D), emb (rows × D)] for scaled timesteps. */
export function adaln(w: Weights, key: string, ts: number[]): [Float64Array, Float64Array] {
  const rows = ts.length;
  const proj = new Float64Array(rows * 256);
  ts.forEach((t, r) => proj.set(sinusoid(t), r * 256));
  const h = map(linear(w, `${key}.emb.timestep_embedder.linear_1`, proj, rows), silu);
  const emb = linear(w, `${key}.emb.timestep_embedder.linear_2`, h, rows);
  return [linear(w, `${key}.linear`, map(emb, silu), rows), emb];
}

/** RoPE cos/sin per token: [T][inner/2] for positions (midpoints) on `dims` axes, rounded to the table dtype
 *  (upstream casts the tables to the activations' dtype: bf16 in bf16 runs, f32 in f32 runs). */
export function ropeTable(positions: [number, number][][], maxPos: number[], theta: number, inner: number, midpoint = true, dtype: "f32" | "bf16" = "bf16"): { cos: number[][]; sin: number[][] } {
  const n = positions.length;
  const F = Math.floor(inner / (2 * n));
  const pad = inner / 2 - n * F;
  const T = positions[0]!.length;
  const cos: number[][] = [], sin: number[][] = [];
  for (let t = 0; t < T; t++) {
    const c: number[] = new Array(pad).fill(1), s: number[] = new Array(pad).fill(0);
    for (let k = 0; k < F; k++) {
      const omega = (Math.PI / 2) * theta ** (F === 1 ? 0 : k / (F - 1));
      for (let a = 0; a < n; a++) {
        const [s0, e0] = positions[a]![t]!;
        const p = midpoint ? (s0 + e0) / 2 : s0;
        const angle = omega * (2 * (p / maxPos[a]!) - 1);
        c.push(Math.cos(angle));
        s.push(Math.sin(angle));
      }
    }
    const round = dtype === "bf16" ? roundBf16 : Math.fround;
    cos.push(c.map(round));
    sin.push(s.map(round));
  }
  return { cos, sin };
}

/** Split rotation of head h of token t: pairs (i, i + d/2) with angle entries [h·d/2, (h+1)·d/2). */
function rotate(x: Float64Array, tokens: number, heads: number, d: number, tab: { cos: number[][]; sin: number[][] }): Float64Array {
  const y = new Float64Array(x.length);
  for (let t = 0; t < tokens; t++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < d / 2; i++) {
        const c = tab.cos[t]![h * (d / 2) + i]!, s = tab.sin[t]![h * (d / 2) + i]!;
        const o = t * heads * d + h * d;
        const a = x[o + i]!, b = x[o + i + d / 2]!;
        y[o + i] = a * c - b * s;
        y[o + i + d / 2] = b * c + a * s;
      }
    }
  }
  return y;
}

export function attention(w: Weights, key: string, x: Float64Array, tq: number, ctx: Float64Array, tk: number, heads: number, d: number,
  pe?: { cos: number[][]; sin: number[][] }, kPe?: { cos: number[][]; sin: number[][] }, valuePassThrough = false, bias?: Float64Array): Float64Array {
  const inner = heads * d;
  const v = linear(w, `${key}.to_v`, ctx, tk);
  // 2.3 gated attention: head h of the output (attention or value pass-through) times 2σ(to_gate_logits(x))_h.
  const gated = (o: Float64Array) => {
    if (!w.has(`${key}.to_gate_logits.weight`)) return o;
    const g = linear(w, `${key}.to_gate_logits`, x, tq);
    return o.map((val, idx) => val * 2 / (1 + Math.exp(-g[Math.floor(idx / inner) * heads + Math.floor((idx % inner) / d)]!)));
  };
  if (valuePassThrough) return linear(w, `${key}.to_out.0`, gated(v), tq);
  let q = rms(linear(w, `${key}.to_q`, x, tq), inner, W(w, `${key}.q_norm.weight`).data);
  let k = rms(linear(w, `${key}.to_k`, ctx, tk), inner, W(w, `${key}.k_norm.weight`).data);
  if (pe) q = rotate(q, tq, heads, d, pe);
  if (pe || kPe) k = rotate(k, tk, heads, d, (kPe ?? pe)!);
  const o = new Float64Array(tq * inner);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < tq; i++) {
      const s = new Float64Array(tk);
      let m = -Infinity;
      for (let j = 0; j < tk; j++) {
        let dot = 0;
        for (let e = 0; e < d; e++) dot += q[i * inner + h * d + e]! * k[j * inner + h * d + e]!;
        s[j] = dot / Math.sqrt(d) + (bias ? bias[i * tk + j]! : 0);
        m = Math.max(m, s[j]!);
      }
      let z = 0;
      for (let j = 0; j < tk; j++) z += (s[j] = Math.exp(s[j]! - m));
      for (let e = 0; e < d; e++) {
        let acc = 0;
        for (let j = 0; j < tk; j++) acc += s[j]! * v[j * inner + h * d + e]!;
        o[i * inner + h * d + e] = acc / z;
      }
    }
  }
  return linear(w, `${key}.to_out.0`, gated(o), tq);
}

function ff(w: Weights, key: string, x: Float64Array, rows: number): Float64Array {
  return linear(w, `${key}.net.2`, map(linear(w, `${key}.net.0.proj`, x, rows), gelu), rows);
}

/** table row r + modulation row r for every token: rows × D. */
function adaRow(table: Float64Array, mod: Float64Array, n: number, d: number, r: number, rows: number): Float64Array {
  const out = new Float64Array(rows * d);
  for (let t = 0; t < rows; t++) for (let i = 0; i < d; i++) out[t * d + i] = table[r * d + i]! + mod[t * n * d + r * d + i]!;
  return out;
}

const modulate = (x: Float64Array, scale: Float64Array, shift: Float64Array) => x.map((v, i) => v * (1 + scale[i]!) + shift[i]!);
const addGated = (x: Float64Array, y: Float64Array, g: Float64Array, gd?: number) => x.map((v, i) => v + y[i]! * g[gd ? i % gd : i]!);

export interface RefOptions { stgBlocks?: number[]; skipAV?: boolean; videoSelfBias?: Float64Array }

/** Velocity for video and audio (batch 1). */
export function ltx2Forward(w: Weights, c: RefConfig, video: RefModality, audio: RefModality, opts: RefOptions = {}): { video: Float64Array; audio: Float64Array } {
  const dv = c.heads * c.headDim, da = c.audioHeads * c.audioHeadDim;
  const prep = (m: RefModality, other: RefModality, p: string, dim: number, maxPos: number[], cross: [string, string]) => {
    const x = linear(w, `${p}patchify_proj`, m.latent, m.tokens);
    const ts = Array.from(m.timesteps, (t) => t * 1000);
    const [mod, emb] = adaln(w, `${p}adaln_single`, ts);
    const ctx = w.has(`${p}caption_projection.linear_1.weight`)
      ? linear(w, `${p}caption_projection.linear_2`, map(linear(w, `${p}caption_projection.linear_1`, m.context, m.contextTokens), gelu), m.contextTokens)
      : m.context;
    const prompt = w.has(`${p}prompt_adaln_single.linear.weight`) ? adaln(w, `${p}prompt_adaln_single`, [m.sigma * 1000])[0] : undefined;
    const pe = ropeTable(m.positions, maxPos, c.theta, dim, true, c.ropeDtype ?? "bf16");
    const crossPe = ropeTable([m.positions[0]!], [Math.max(c.maxPos[0]!, c.audioMaxPos[0]!)], c.theta, c.crossDim, true, c.ropeDtype ?? "bf16");
    const [crossMod] = adaln(w, cross[0], ts);
    const [gate] = adaln(w, cross[1], [other.sigma * c.avCaMultiplier]);
    return { x, mod, emb, ctx, pe, crossPe, crossMod, gate, dim, prompt };
  };
  const V = prep(video, audio, "", dv, c.maxPos, ["av_ca_video_scale_shift_adaln_single", "av_ca_a2v_gate_adaln_single"]);
  const A = prep(audio, video, "audio_", da, c.audioMaxPos, ["av_ca_audio_scale_shift_adaln_single", "av_ca_v2a_gate_adaln_single"]);
  let vx = V.x, ax = A.x;
  const tv = video.tokens, ta = audio.tokens;
  for (let i = 0; i < c.layers; i++) {
    const p = `transformer_blocks.${i}`;
    const stg = (opts.stgBlocks ?? []).includes(i);
    const n = c.crossAttentionAdaln ? 9 : 6;
    const selfAndText = (x: Float64Array, S: typeof V, tab: string, a1: string, a2: string, heads: number, hd: number, T: number, m: RefModality, bias?: Float64Array) => {
      const table = W(w, `${p}.${tab}`).data;
      const xs = modulate(rms(x, S.dim), adaRow(table, S.mod, n, S.dim, 1, T), adaRow(table, S.mod, n, S.dim, 0, T));
      const y = attention(w, `${p}.${a1}`, xs, T, xs, T, heads, hd, S.pe, undefined, stg, bias);
      x = addGated(x, y, adaRow(table, S.mod, n, S.dim, 2, T));
      if (!c.crossAttentionAdaln) {
        const t2 = attention(w, `${p}.${a2}`, rms(x, S.dim), T, S.ctx, m.contextTokens, heads, hd);
        return x.map((v, k) => v + t2[k]!);
      }
      const q = modulate(rms(x, S.dim), adaRow(table, S.mod, n, S.dim, 7, T), adaRow(table, S.mod, n, S.dim, 6, T));
      const pt = W(w, `${p}.${tab.replace("scale_shift_table", "prompt_scale_shift_table")}`).data;
      const kvShift = new Float64Array(S.dim), kvScale = new Float64Array(S.dim);
      for (let k = 0; k < S.dim; k++) {
        kvShift[k] = pt[k]! + (S.prompt ? S.prompt[k]! : 0);
        kvScale[k] = pt[S.dim + k]! + (S.prompt ? S.prompt[S.dim + k]! : 0);
      }
      const ctx = S.ctx.map((v, k) => v * (1 + kvScale[k % S.dim]!) + kvShift[k % S.dim]!);
      const t2 = attention(w, `${p}.${a2}`, q, T, ctx, m.contextTokens, heads, hd);
      return addGated(x, t2, adaRow(table, S.mod, n, S.dim, 8, T));
    };
    const v0 = selfAndText(vx, V, "scale_shift_table", "attn1", "attn2", c.heads, c.headDim, tv, video, opts.videoSelfBias);
    const a0 = selfAndText(ax, A, "audio_scale_shift_table", "audio_attn1", "audio_attn2", c.audioHeads, c.audioHeadDim, ta, audio);
    const cv = W(w, `${p}.scale_shift_table_a2v_ca_video`).data, ca = W(w, `${p}.scale_shift_table_a2v_ca_audio`).data;
    const row = (tab: Float64Array, S: typeof V, r: number, T: number) => adaRow(tab, S.crossMod, 4, S.dim, r, T);
    const gateRow = (tab: Float64Array, S: typeof V) => S.gate.map((g, k) => g + tab[4 * S.dim + k]!);
    vx = v0;
    ax = a0;
    if (!opts.skipAV) {
      const q = modulate(rms(v0, dv), row(cv, V, 0, tv), row(cv, V, 1, tv));
      const kv = modulate(rms(a0, da), row(ca, A, 0, ta), row(ca, A, 1, ta));
      vx = addGated(v0, attention(w, `${p}.audio_to_video_attn`, q, tv, kv, ta, c.audioHeads, c.audioHeadDim, V.crossPe, A.crossPe), gateRow(cv, V), dv);
      const q2 = modulate(rms(a0, da), row(ca, A, 2, ta), row(ca, A, 3, ta));
      const kv2 = modulate(rms(v0, dv), row(cv, V, 2, tv), row(cv, V, 3, tv));
      ax = addGated(a0, attention(w, `${p}.video_to_audio_attn`, q2, ta, kv2, tv, c.audioHeads, c.audioHeadDim, A.crossPe, V.crossPe), gateRow(ca, A), da);
    }
    const ffStep = (x: Float64Array, S: typeof V, tab: string, key: string, T: number) => {
      const table = W(w, `${p}.${tab}`).data;
      const xs = modulate(rms(x, S.dim), adaRow(table, S.mod, n, S.dim, 4, T), adaRow(table, S.mod, n, S.dim, 3, T));
      return addGated(x, ff(w, `${p}.${key}`, xs, T), adaRow(table, S.mod, n, S.dim, 5, T));
    };
    vx = ffStep(vx, V, "scale_shift_table", "ff", tv);
    ax = ffStep(ax, A, "audio_scale_shift_table", "audio_ff", ta);
  }
  const head = (x: Float64Array, S: typeof V, p: string, T: number) => {
    const table = W(w, `${p}scale_shift_table`).data;
    const shift = new Float64Array(T * S.dim), scale = new Float64Array(T * S.dim);
    for (let t = 0; t < T; t++) for (let k = 0; k < S.dim; k++) {
      shift[t * S.dim + k] = table[k]! + S.emb[t * S.dim + k]!;
      scale[t * S.dim + k] = table[S.dim + k]! + S.emb[t * S.dim + k]!;
    }
    return linear(w, `${p}proj_out`, modulate(layerNorm(x, S.dim), scale, shift), T);
  };
  return { video: head(vx, V, "", tv), audio: head(ax, A, "audio_", ta) };
}

/** Embeddings1DConnector after the valid-first reorder and registers: blocks + final rms (batch 1). */
export function connectorForward(w: Weights, x0: Float64Array, tokens: number, heads: number, d: number, layers: number, maxPos: number, theta: number, ropeDtype: "f32" | "bf16" = "bf16"): Float64Array {
  const dim = heads * d;
  const pos: [number, number][][] = [Array.from({ length: tokens }, (_, i) => [i, i] as [number, number])];
  const pe = ropeTable(pos, [maxPos], theta, dim, false, ropeDtype);
  let x = x0;
  for (let i = 0; i < layers; i++) {
    const n = rms(x, dim);
    const a = attention(w, `transformer_1d_blocks.${i}.attn1`, n, tokens, n, tokens, heads, d, pe);
    x = x.map((v, k) => v + a[k]!);
    const f = ff(w, `transformer_1d_blocks.${i}.ff`, rms(x, dim), tokens);
    x = x.map((v, k) => v + f[k]!);
  }
  return rms(x, dim);
}
