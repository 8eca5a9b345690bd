// Float64 reference of the Gemma 3 text model, written from the published architecture (Gemma 3 report; HF
// Gemma3TextModel semantics): scaled embeddings, sandwich RMSNorms with (1 + w), grouped-query attention with
// per-head q/k RMSNorm, rotate-half RoPE (local base vs global base with linear scaling), query_pre_attn_scalar
// scaling, causal + key-padding + sliding-window masking, GeGLU (tanh GELU) MLP, final norm on the last
// hidden state. Multimodal prompts (Gemma3ForConditionalGeneration): given input embeddings (image features
// merged by the caller) and per-token image groups, tokens of the same image see each other in both directions. Shares no code with src/models/gemma3: weights are read as plain numbers from the files.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { geluTanh, roundBf16 } from "../helpers/reference.js";

export interface RefConfig {
  D: number; I: number; L: number; H: number; Hkv: number; hd: number; eps: number; qpas: number; window: number;
  sliding: boolean[]; thetaGlobal: number; thetaLocal: number; factor: number;
}

type W = Map<string, { shape: number[]; data: Float64Array; dtype: string }>;

/** Reads every tensor of a folder's shards (index.json) as float64. */
export function readFolder(dir: string): W {
  const index = JSON.parse(readFileSync(join(dir, "model.safetensors.index.json"), "utf8")) as { weight_map: Record<string, string> };
  const out: W = new Map();
  for (const file of new Set(Object.values(index.weight_map))) {
    const buf = readFileSync(join(dir, file));
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    for (const [k, v] of Object.entries(header)) {
      if (k === "__metadata__") continue;
      const start = 8 + n + v.data_offsets[0];
      const count = v.shape.reduce((a, b) => a * b, 1);
      const data = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        data[i] = v.dtype === "BF16" ? new Float32Array(new Uint32Array([buf.readUInt16LE(start + 2 * i) << 16]).buffer)[0]! : buf.readFloatLE(start + 4 * i);
      }
      out.set(k, { shape: v.shape, data, dtype: v.dtype });
    }
  }
  return out;
}

export function refConfig(text: Record<string, unknown>): RefConfig {
  const L = text.num_hidden_layers as number;
  const pattern = text.sliding_window_pattern as number;
  return {
    D: text.hidden_size as number, I: text.intermediate_size as number, L, H: text.num_attention_heads as number,
    Hkv: text.num_key_value_heads as number, hd: text.head_dim as number, eps: text.rms_norm_eps as number,
    qpas: text.query_pre_attn_scalar as number, window: text.sliding_window as number,
    sliding: Array.from({ length: L }, (_, i) => (i + 1) % pattern !== 0),
    thetaGlobal: text.rope_theta as number, thetaLocal: text.rope_local_base_freq as number,
    factor: (text.rope_scaling as { factor: number } | null)?.factor ?? 1,
  };
}

/** Rows of a [rows, cols] matrix times Wᵀ (W [out, cols]). */
function matmulT(x: Float64Array, rows: number, cols: number, w: Float64Array, out: number): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c]! * w[o * cols + c]!;
    y[r * out + o] = s;
  }
  return y;
}

/** Gemma RMSNorm over chunks of `n`: x / sqrt(mean x² + eps) · (1 + w). */
function gemmaRms(x: Float64Array, n: number, w: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / n; r++) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[r * n + i]! ** 2;
    const inv = 1 / Math.sqrt(ss / n + eps);
    for (let i = 0; i < n; i++) y[r * n + i] = x[r * n + i]! * inv * (1 + w[i]!);
  }
  return y;
}

export interface RefVariant {
  /** Deliberately wrong variants, to show the comparison can fail. */
  plainNorm?: boolean;
  headDimScale?: boolean;
  noWindow?: boolean;
  noRopeScaling?: boolean;
  /** Ignore the image groups (a plain causal mask over image tokens). */
  causalImages?: boolean;
}

/** A multimodal prompt: the input embeddings [T, D] and each token's image group (0 = text). */
export interface RefImagePrompt {
  embeds: Float64Array;
  groups: readonly number[];
}

/** One decoder layer on one sequence x [T, D]; keyMask [T] (1 = token); returns [T, D]. */
export function refLayer(w: W, prefix: string, c: RefConfig, layer: number, x: Float64Array, keyMask: readonly number[], v: RefVariant = {},
  groups?: readonly number[]): Float64Array {
  const T = keyMask.length, { D, H, Hkv, hd, eps } = c;
  const g = (k: string) => {
    const t = w.get(`${prefix}layers.${layer}.${k}`);
    if (!t) throw new Error(`reference: missing ${k}`);
    return t.data;
  };
  const norm = (a: Float64Array, n: number, key: string) => (v.plainNorm ? gemmaRms(a, n, g(key).map((q) => q - 1), eps) : gemmaRms(a, n, g(key), eps));
  const n1 = norm(x, D, "input_layernorm.weight");
  const q = norm(matmulT(n1, T, D, g("self_attn.q_proj.weight"), H * hd), hd, "self_attn.q_norm.weight");
  const k = norm(matmulT(n1, T, D, g("self_attn.k_proj.weight"), Hkv * hd), hd, "self_attn.k_norm.weight");
  const val = matmulT(n1, T, D, g("self_attn.v_proj.weight"), Hkv * hd);
  // Rotate-half RoPE at absolute positions 0..T-1 (pads included, as HF's default position ids).
  const base = c.sliding[layer] ? c.thetaLocal : c.thetaGlobal;
  const factor = c.sliding[layer] || v.noRopeScaling ? 1 : c.factor;
  const rope = (a: Float64Array, heads: number) => {
    const half = hd / 2;
    for (let t = 0; t < T; t++) for (let h = 0; h < heads; h++) for (let i = 0; i < half; i++) {
      const ang = (t * (1 / base ** ((2 * i) / hd))) / factor;
      const o = (t * heads + h) * hd;
      const x1 = a[o + i]!, x2 = a[o + i + half]!;
      a[o + i] = x1 * Math.cos(ang) - x2 * Math.sin(ang);
      a[o + i + half] = x2 * Math.cos(ang) + x1 * Math.sin(ang);
    }
  };
  rope(q, H);
  rope(k, Hkv);
  const scale = v.headDimScale ? hd ** -0.5 : c.qpas ** -0.5;
  const attn = new Float64Array(T * H * hd);
  for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / (H / Hkv));
    for (let i = 0; i < T; i++) {
      const s: number[] = [];
      for (let j = 0; j < T; j++) {
        const sameImage = !v.causalImages && groups !== undefined && groups[i] !== 0 && groups[i] === groups[j];
        const ok = keyMask[j] === 1 && ((j <= i && (!c.sliding[layer] || v.noWindow || i - j < c.window)) || sameImage);
        if (!ok) continue;
        let d = 0;
        for (let e = 0; e < hd; e++) d += q[(i * H + h) * hd + e]! * k[(j * Hkv + kh) * hd + e]!;
        s.push(j, d * scale);
      }
      if (!s.length) continue; // a padding query sees no key: left at 0 (never compared)
      let m = -Infinity;
      for (let p = 1; p < s.length; p += 2) m = Math.max(m, s[p]!);
      let z = 0;
      for (let p = 1; p < s.length; p += 2) z += Math.exp(s[p]! - m);
      for (let p = 0; p < s.length; p += 2) {
        const pr = Math.exp(s[p + 1]! - m) / z;
        for (let e = 0; e < hd; e++) attn[(i * H + h) * hd + e]! += pr * val[(s[p]! * Hkv + kh) * hd + e]!;
      }
    }
  }
  const o = norm(matmulT(attn, T, H * hd, g("self_attn.o_proj.weight"), D), D, "post_attention_layernorm.weight");
  const h1 = x.map((xv, i) => xv + o[i]!);
  const n2 = norm(h1, D, "pre_feedforward_layernorm.weight");
  const gate = matmulT(n2, T, D, g("mlp.gate_proj.weight"), c.I);
  const up = matmulT(n2, T, D, g("mlp.up_proj.weight"), c.I);
  const m = norm(matmulT(gate.map((gv, i) => geluTanh(gv) * up[i]!), T, c.I, g("mlp.down_proj.weight"), D), D, "post_feedforward_layernorm.weight");
  return h1.map((hv, i) => hv + m[i]!);
}

/** Scaled embeddings: E[id] · sqrt(D), the scale and the product in bf16 when the table is bf16 (HF). */
export function refEmbed(w: W, prefix: string, c: RefConfig, ids: readonly number[]): Float64Array {
  const e = w.get(`${prefix}embed_tokens.weight`)!;
  const bf16 = e.dtype === "BF16";
  const scale = bf16 ? roundBf16(Math.sqrt(c.D)) : Math.fround(Math.sqrt(c.D));
  const out = new Float64Array(ids.length * c.D);
  ids.forEach((id, t) => {
    for (let i = 0; i < c.D; i++) {
      const p = e.data[id * c.D + i]! * scale;
      out[t * c.D + i] = bf16 ? roundBf16(p) : p;
    }
  });
  return out;
}

/** All L+1 hidden states of one sequence, HF's order (the last after the final norm). */
export function refHiddenStates(w: W, prefix: string, c: RefConfig, ids: readonly number[], keyMask: readonly number[], v: RefVariant = {},
  image?: RefImagePrompt): Float64Array[] {
  const states = [image ? image.embeds : refEmbed(w, prefix, c, ids)];
  let x = states[0]!;
  for (let l = 0; l < c.L; l++) {
    x = refLayer(w, prefix, c, l, x, keyMask, v, image?.groups);
    states.push(x);
  }
  const nw = w.get(`${prefix}norm.weight`)!.data;
  states[c.L] = gemmaRms(x, c.D, v.plainNorm ? nw.map((q) => q - 1) : nw, c.eps);
  return states;
}
