// Gemma 3 language model (Gemma3TextModel + the tied LM head) on the engine's kernels, loaded from a Hugging Face
// folder. A multimodal folder's vision tower (SigLIP + projector, ./vision) is loaded on first use only; its
// image features enter the forward through ForwardOptions.image (merged embeddings + bidirectional image mask).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { WeightSource } from "../../checkpoint/safetensors.js";
import { AiprodError } from "../../native/errors.js";
import { linear } from "../../runtime/linear.js";
import { rmsNorm } from "../../runtime/norm.js";
import { narrow, reshape } from "../../runtime/shape.js";
import { Tensor } from "../../runtime/tensor.js";
import { roundBf16 } from "../ltx2/components/precision.js";
import { type Gemma3Config, parseGemma3Config } from "./config.js";
import { languageModelPrefix, ShardedWeights } from "./folder.js";
import { KVCache } from "./kvCache.js";
import { Gemma3DecoderLayer } from "./layer.js";
import { attentionBias, imageGroups } from "./mask.js";
import { ropeParams, type RopeTables, ropeTables } from "./rope.js";
import { Gemma3VisionTower } from "./vision/tower.js";
import { checkedWeight, gemmaNormWeight } from "./weights.js";

/** Image features to merge into a forward's embeddings (Gemma3ForConditionalGeneration's prompt pass). */
export interface ImageEmbeddings {
  /** The `<image_soft_token>` id whose positions receive the features. */
  tokenId: number;
  /**
   * f32 [..., D] with as many rows as the ids hold image tokens (all rows of the batch, in order): row r
   * replaces the r-th image token, unscaled (HF's masked_scatter of the projected features).
   */
  features: Tensor;
}

export interface ForwardOptions {
  /** Per row, 1 for a token and 0 for padding (left padding in practice); default all ones. */
  attentionMask?: readonly (readonly number[])[];
  /** Collect the hidden states (embeddings, each layer; the last one after the final norm). */
  outputHiddenStates?: boolean;
  /** Continue from (and extend) this cache: positions start at cache.length. */
  cache?: KVCache;
  /**
   * Image features: they replace the embeddings of the image tokens, and each run of consecutive image tokens
   * (one image) attends bidirectionally within itself on every layer (HF's token_type_ids mask, OR-ed with
   * the causal / sliding mask; padding stays masked). Runs are found in this call's ids only.
   */
  image?: ImageEmbeddings;
}

export interface ForwardResult {
  /** Final-normed hidden states f32 [B, T, D]. */
  lastHiddenState: Tensor;
  /**
   * With outputHiddenStates: numLayers + 1 tensors f32 [B, T, D], HF's convention: [0] the scaled embeddings,
   * [i] the output of decoder layer i (1-based) for i < numLayers, [numLayers] the last layer's output after
   * the final RMSNorm (the same values as lastHiddenState, a separate tensor).
   */
  hiddenStates?: Tensor[];
}

function bf16ToF32(bits: Uint16Array, out: Float32Array, offset: number): void {
  const u = new Uint32Array(out.buffer, out.byteOffset + offset * 4, bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i]! << 16;
}

export class Gemma3TextModel implements Disposable {
  readonly layers: Gemma3DecoderLayer[];
  readonly embedTokens: Tensor;
  readonly lmHead: Tensor;
  readonly finalNorm: Tensor;
  /** sqrt(hidden) rounded to the embedding dtype, as HF's Gemma3TextScaledWordEmbedding does. */
  readonly embedScale: number;

  #vision: Gemma3VisionTower | undefined;

  /**
   * `checkpoint`: the whole folder's weights and its parsed config.json, kept so the vision tower can be
   * loaded on demand (load() passes them).
   */
  constructor(readonly config: Gemma3Config, w: WeightSource, lmHead?: Tensor, private readonly owned?: Disposable,
    private readonly checkpoint?: { files: WeightSource; configJson: unknown }) {
    const c = config;
    this.embedTokens = checkedWeight(w, "embed_tokens.weight", [c.vocabSize, c.hiddenSize]);
    this.lmHead = lmHead ?? this.embedTokens;
    this.finalNorm = gemmaNormWeight(w, "norm.weight", c.hiddenSize);
    this.layers = c.layerTypes.map((type, i) => new Gemma3DecoderLayer(w.view(`layers.${i}.`), c, type));
    const s = Math.sqrt(c.hiddenSize);
    this.embedScale = this.embedTokens.dtype === "bf16" ? roundBf16(s) : Math.fround(s);
  }

  /**
   * Loads a Hugging Face folder: config.json (flat or with `text_config`) and model.safetensors(.index.json).
   * Weights stay memory-mapped; every layer's tensors are validated now.
   */
  static load(dir: string): Gemma3TextModel {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    } catch (e) {
      throw new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.gemma3: cannot read '${join(dir, "config.json")}': ${(e as Error).message}`, { cause: e });
    }
    const config = parseGemma3Config(json);
    const files = ShardedWeights.open(dir);
    try {
      const prefix = languageModelPrefix(files);
      let head: Tensor | undefined;
      if (!config.tieWordEmbeddings) {
        const key = ["lm_head.weight", "language_model.lm_head.weight"].find((k) => files.has(k));
        if (!key) throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `aiprod.gemma3: ${files.name} has no 'lm_head.weight' (tie_word_embeddings is false)`);
        head = checkedWeight(files, key, [config.vocabSize, config.hiddenSize]);
      }
      return new Gemma3TextModel(config, files.view(prefix), head, files, { files, configJson: json });
    } catch (e) {
      files.dispose();
      throw e;
    }
  }

  /**
   * The multimodal checkpoint's vision tower + projector, loaded (and validated) on the first call. A text-only
   * folder fails with ERR_AIPROD_UNSUPPORTED (no vision_config) or ERR_AIPROD_MISSING_WEIGHT (no vision weights).
   */
  visionTower(): Gemma3VisionTower {
    if (this.#vision) return this.#vision;
    if (!this.checkpoint) {
      throw new AiprodError("ERR_AIPROD_UNSUPPORTED", "aiprod.gemma3: this model was not loaded from a folder (Gemma3TextModel.load), so it has no vision tower");
    }
    this.#vision = Gemma3VisionTower.fromCheckpoint(this.checkpoint.files, this.checkpoint.configJson, this.config.hiddenSize);
    return this.#vision;
  }

  /**
   * Scaled token embeddings f32 [B, T, D]; rounded to bf16 after scaling when the table is bf16 (HF's product).
   * With `image`, the image tokens' rows are the image features instead (unscaled; rounded to bf16 with a bf16
   * table, as HF casts them to the embeddings' dtype).
   */
  embed(ids: readonly (readonly number[])[], image?: ImageEmbeddings): Tensor {
    const { vocabSize: V, hiddenSize: D } = this.config;
    const B = ids.length, T = ids[0]?.length ?? 0;
    const out = new Float32Array(B * T * D);
    const rows = new Map<number, Float32Array>();
    for (let b = 0; b < B; b++) {
      if (ids[b]!.length !== T) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: row ${b} has ${ids[b]!.length} ids, row 0 has ${T}`);
      for (let t = 0; t < T; t++) {
        const id = ids[b]![t]!;
        // Image tokens take the features below; their id may lie beyond the table (HF looks up 0 for them then).
        if (image && id === image.tokenId) continue;
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: token id ${id} is outside the vocabulary [0, ${V})`);
        let row = rows.get(id);
        if (!row) {
          // A one-row narrow of the mapped table is a view: only the rows used are read.
          using view = narrow(this.embedTokens, 0, id, 1);
          row = new Float32Array(D);
          const raw = view.read();
          if (raw instanceof Uint16Array) bf16ToF32(raw, row, 0);
          else row.set(raw as Float32Array);
          const bf16 = this.embedTokens.dtype === "bf16";
          for (let i = 0; i < D; i++) row[i] = bf16 ? roundBf16(row[i]! * this.embedScale) : row[i]! * this.embedScale;
          rows.set(id, row);
        }
        out.set(row, (b * T + t) * D);
      }
    }
    if (image) this.#mergeImage(ids, image, out);
    return Tensor.from(out, [B, T, D]);
  }

  #mergeImage(ids: readonly (readonly number[])[], image: ImageEmbeddings, out: Float32Array): void {
    const D = this.config.hiddenSize;
    const fs = image.features.shape;
    const rows = image.features.numel / D;
    if (fs[fs.length - 1] !== D) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: image features must be [..., ${D}], got [${fs.join(",")}]`);
    const count = ids.reduce((n, r) => n + r.filter((x) => x === image.tokenId).length, 0);
    if (count !== rows) {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: the ids hold ${count} image tokens (id ${image.tokenId}) but the image features have ${rows} rows`);
    }
    const f = image.features.toFloat32();
    const bf16 = this.embedTokens.dtype === "bf16";
    let r = 0;
    const T = ids[0]!.length;
    ids.forEach((row, b) => row.forEach((id, t) => {
      if (id !== image.tokenId) return;
      const o = (b * T + t) * D;
      for (let i = 0; i < D; i++) out[o + i] = bf16 ? roundBf16(f[r * D + i]!) : f[r * D + i]!;
      r++;
    }));
  }

  /** Runs the decoder over ids [B][T]. */
  forward(ids: readonly (readonly number[])[], opts: ForwardOptions = {}): ForwardResult {
    const c = this.config;
    const B = ids.length, T = ids[0]?.length ?? 0;
    if (B === 0 || T === 0) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", "aiprod.gemma3: forward needs at least one token in one row");
    ids.forEach((r, b) => {
      if (r.length !== T) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: row ${b} has ${r.length} ids, row 0 has ${T}`);
    });
    const mask = opts.attentionMask ?? ids.map((r) => r.map(() => 1));
    if (mask.length !== B || mask.some((r) => r.length !== T)) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: attentionMask must be [${B}][${T}]`);
    const cache = opts.cache;
    if (cache && cache.length > 0 && cache.keyMask.length !== B) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: the cache holds ${cache.keyMask.length} rows, ids ${B}`);
    const start = cache?.length ?? 0;
    const keyMask = mask.map((r, b) => [...(cache?.keyMask[b] ?? []), ...r]);

    const groups = opts.image ? imageGroups(ids, opts.image.tokenId) : undefined;
    // One table and one bias per attention kind; layers of a kind share them.
    const kinds = new Map<string, { rope: RopeTables; bias: Tensor }>();
    for (const type of new Set(c.layerTypes)) {
      const { base, factor } = ropeParams(c, type);
      kinds.set(type, {
        rope: ropeTables(c.headDim, base, factor, start, T),
        bias: attentionBias(keyMask, T, type === "sliding_attention" ? c.slidingWindow : undefined, groups),
      });
    }
    const hidden: Tensor[] = [];
    let h = this.embed(ids, opts.image);
    try {
      for (const [i, layer] of this.layers.entries()) {
        const k = kinds.get(layer.type)!;
        const { out, kv } = layer.forward(h, k.rope, k.bias, cache?.layers[i]);
        if (cache) {
          const old = cache.layers[i];
          old?.k.dispose();
          old?.v.dispose();
          cache.layers[i] = kv;
        } else {
          kv.k.dispose();
          kv.v.dispose();
        }
        if (opts.outputHiddenStates) hidden.push(h);
        else h.dispose();
        h = out;
      }
      const last = rmsNorm(h, { weight: this.finalNorm, eps: c.rmsNormEps });
      if (opts.outputHiddenStates) hidden.push(rmsNorm(h, { weight: this.finalNorm, eps: c.rmsNormEps }));
      if (cache) cache.keyMask = keyMask;
      return opts.outputHiddenStates ? { lastHiddenState: last, hiddenStates: hidden } : { lastHiddenState: last };
    } catch (e) {
      for (const x of hidden) x.dispose();
      throw e;
    } finally {
      h.dispose();
      for (const k of kinds.values()) {
        k.rope.cos.dispose();
        k.rope.sin.dispose();
        k.bias.dispose();
      }
    }
  }

  /** Next-token logits f32 [B, V] from the last position of final-normed hidden states [B, T, D]. */
  logitsOfLast(lastHiddenState: Tensor): Tensor {
    const [B, T, D] = lastHiddenState.shape as [number, number, number];
    using tail = narrow(lastHiddenState, 1, T - 1, 1);
    using flat = reshape(tail, [B, D]);
    return linear(flat, this.lmHead);
  }

  dispose(): void {
    this.#vision?.dispose();
    this.#vision = undefined;
    this.owned?.[Symbol.dispose]();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
