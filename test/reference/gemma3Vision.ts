// Float64 reference of Gemma 3's image path, written from the published architecture (SigLIP ViT: patch Conv2d
// + learned positions, pre-norm encoder layers with LayerNorm (weight, bias), bidirectional multi-head attention
// with biased projections scaled by head_dim^-0.5, tanh-GELU MLP, post LayerNorm; Gemma3MultiModalProjector:
// k×k average pooling of the patch grid, Gemma RMSNorm (1 + w), x @ W). Plain loops over float64 numbers read
// from the files (readFolder); shares no code with src/models/gemma3.
import { geluTanh, layerNorm, roundBf16 } from "../helpers/reference.js";

type W = Map<string, { shape: number[]; data: Float64Array; dtype: string }>;

export interface RefVisionConfig {
  C: number; I: number; L: number; H: number; patch: number; image: number; eps: number; mmTokens: number; D: number;
}

export function refVisionConfig(configJson: Record<string, unknown>): RefVisionConfig {
  const v = configJson.vision_config as Record<string, number>;
  const text = configJson.text_config as Record<string, number>;
  return {
    C: v.hidden_size!, I: v.intermediate_size!, L: v.num_hidden_layers!, H: v.num_attention_heads!, patch: v.patch_size!,
    image: v.image_size!, eps: v.layer_norm_eps!, mmTokens: configJson.mm_tokens_per_image as number, D: text.hidden_size!,
  };
}

export interface RefVisionVariant {
  /** Deliberately wrong variants, to show the comparison can fail. */
  plainSoftNorm?: boolean;
  transposedProjection?: boolean;
  columnMajorPool?: boolean;
  noPositions?: boolean;
}

function get(w: W, key: string): Float64Array {
  const t = w.get(key);
  if (!t) throw new Error(`reference: missing ${key}`);
  return t.data;
}

/** x [rows, cols] · Wᵀ + b (W [out, cols]). */
function linear(x: Float64Array, rows: number, cols: number, w: Float64Array, b: Float64Array, out: number): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) {
    let s = b[o]!;
    for (let c = 0; c < cols; c++) s += x[r * cols + c]! * w[o * cols + c]!;
    y[r * out + o] = s;
  }
  return y;
}

/** LayerNorm with weight and bias: the shared no-affine reference, then y·w + b. */
function layerNormAffine(x: Float64Array, n: number, w: Float64Array, b: Float64Array, eps: number): Float64Array {
  const y = layerNorm(x, n, eps);
  for (let i = 0; i < y.length; i++) y[i] = y[i]! * w[i % n]! + b[i % n]!;
  return y;
}

/** Patch embeddings + positions of one image: pixels [3, image, image] → [P, C]. */
export function refVisionEmbeddings(w: W, prefix: string, c: RefVisionConfig, pixels: ArrayLike<number>, v: RefVisionVariant = {}): Float64Array {
  const e = `${prefix}vision_tower.vision_model.embeddings.`;
  const kw = w.get(`${e}patch_embedding.weight`)!;
  const bf16 = kw.dtype === "BF16";
  const kb = get(w, `${e}patch_embedding.bias`), pos = get(w, `${e}position_embedding.weight`);
  const S = c.image / c.patch, p = c.patch, side = c.image;
  const out = new Float64Array(S * S * c.C);
  for (let py = 0; py < S; py++) for (let px = 0; px < S; px++) {
    const t = py * S + px;
    for (let o = 0; o < c.C; o++) {
      let s = kb[o]!;
      for (let ch = 0; ch < 3; ch++) for (let ky = 0; ky < p; ky++) for (let kx = 0; kx < p; kx++) {
        const pix = pixels[(ch * side + py * p + ky) * side + px * p + kx]!;
        s += kw.data[((o * 3 + ch) * p + ky) * p + kx]! * (bf16 ? roundBf16(pix) : pix);
      }
      out[t * c.C + o] = s + (v.noPositions ? 0 : pos[t * c.C + o]!);
    }
  }
  return out;
}

/** One encoder layer on x [P, C]. */
export function refVisionLayer(w: W, prefix: string, c: RefVisionConfig, layer: number, x: Float64Array): Float64Array {
  const l = `${prefix}vision_tower.vision_model.encoder.layers.${layer}.`;
  const g = (k: string) => get(w, l + k);
  const P = x.length / c.C, { C, H } = c, hd = C / H;
  const n1 = layerNormAffine(x, C, g("layer_norm1.weight"), g("layer_norm1.bias"), c.eps);
  const q = linear(n1, P, C, g("self_attn.q_proj.weight"), g("self_attn.q_proj.bias"), C);
  const k = linear(n1, P, C, g("self_attn.k_proj.weight"), g("self_attn.k_proj.bias"), C);
  const val = linear(n1, P, C, g("self_attn.v_proj.weight"), g("self_attn.v_proj.bias"), C);
  const attn = new Float64Array(P * C);
  const scale = hd ** -0.5;
  for (let h = 0; h < H; h++) for (let i = 0; i < P; i++) {
    const s = new Float64Array(P);
    let m = -Infinity;
    for (let j = 0; j < P; j++) {
      let d = 0;
      for (let e = 0; e < hd; e++) d += q[i * C + h * hd + e]! * k[j * C + h * hd + e]!;
      s[j] = d * scale;
      m = Math.max(m, s[j]!);
    }
    let z = 0;
    for (let j = 0; j < P; j++) z += (s[j] = Math.exp(s[j]! - m));
    for (let j = 0; j < P; j++) for (let e = 0; e < hd; e++) attn[i * C + h * hd + e]! += (s[j]! / z) * val[j * C + h * hd + e]!;
  }
  const o = linear(attn, P, C, g("self_attn.out_proj.weight"), g("self_attn.out_proj.bias"), C);
  const h1 = x.map((xv, i) => xv + o[i]!);
  const n2 = layerNormAffine(h1, C, g("layer_norm2.weight"), g("layer_norm2.bias"), c.eps);
  const f1 = linear(n2, P, C, g("mlp.fc1.weight"), g("mlp.fc1.bias"), c.I).map(geluTanh);
  const f2 = linear(f1, P, c.I, g("mlp.fc2.weight"), g("mlp.fc2.bias"), C);
  return h1.map((hv, i) => hv + f2[i]!);
}

/** The tower's last_hidden_state [P, C] (post_layernorm applied). */
export function refVisionTower(w: W, prefix: string, c: RefVisionConfig, pixels: ArrayLike<number>, v: RefVisionVariant = {}): Float64Array {
  let x = refVisionEmbeddings(w, prefix, c, pixels, v);
  for (let l = 0; l < c.L; l++) x = refVisionLayer(w, prefix, c, l, x);
  const p = `${prefix}vision_tower.vision_model.post_layernorm.`;
  return layerNormAffine(x, c.C, get(w, `${p}weight`), get(w, `${p}bias`), c.eps);
}

/** The projector: vision output [P, C] → image features [mmTokens, D]. */
export function refProjector(w: W, prefix: string, c: RefVisionConfig, x: Float64Array, v: RefVisionVariant = {}): Float64Array {
  const S = c.image / c.patch, So = Math.round(Math.sqrt(c.mmTokens)), k = S / So, { C, D } = c;
  const pooled = new Float64Array(So * So * C);
  for (let oy = 0; oy < So; oy++) for (let ox = 0; ox < So; ox++) for (let ch = 0; ch < C; ch++) {
    let s = 0;
    for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) {
      const y = oy * k + dy, xx = ox * k + dx;
      s += x[(v.columnMajorPool ? xx * S + y : y * S + xx) * C + ch]!;
    }
    pooled[(oy * So + ox) * C + ch] = s / (k * k);
  }
  const nw = get(w, `${prefix}multi_modal_projector.mm_soft_emb_norm.weight`);
  const proj = get(w, `${prefix}multi_modal_projector.mm_input_projection_weight`);
  const out = new Float64Array(So * So * D);
  for (let t = 0; t < So * So; t++) {
    let ss = 0;
    for (let ch = 0; ch < C; ch++) ss += pooled[t * C + ch]! ** 2;
    const inv = 1 / Math.sqrt(ss / C + c.eps);
    const n = Array.from({ length: C }, (_, ch) => pooled[t * C + ch]! * inv * ((v.plainSoftNorm ? 0 : 1) + nw[ch]!));
    for (let d = 0; d < D; d++) {
      let s = 0;
      // W [C, D] used as x @ W; the wrong variant reads it as a Linear's [out, in] (square only when C = D,
      // so it reads the flat buffer as [D, C]).
      for (let ch = 0; ch < C; ch++) s += n[ch]! * (v.transposedProjection ? proj[d * C + ch]! : proj[ch * D + d]!);
      out[t * D + d] = s;
    }
  }
  return out;
}

/** Image features [mmTokens, D] of one image's pixels [3, image, image]. */
export function refImageFeatures(w: W, prefix: string, c: RefVisionConfig, pixels: ArrayLike<number>, v: RefVisionVariant = {}): Float64Array {
  return refProjector(w, prefix, c, refVisionTower(w, prefix, c, pixels, v), v);
}
