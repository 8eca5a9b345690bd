// Prompt → Gemma hidden states for the LTX-2 text path. Every prompt is tokenized by the upstream rules
// (left-padded to 1024) and run through the language model; all numLayers+1 hidden states are returned for
// the feature extractor, with the attention mask. Encodings of repeated prompts (same token ids) come from a
// bounded LRU cache instead of a new forward (pipelines encode the same negative prompt over and over).
import { AiprodError } from "../../native/errors.js";
import { concat, narrow } from "../../runtime/shape.js";
import { Tensor } from "../../runtime/tensor.js";
import type { Gemma3TextModel } from "./model.js";
import { type GemmaTokenizer, TOKENIZER_MAX_LENGTH } from "./tokenizer.js";

/**
 * Layout (B prompts, T = maxLength = 1024, D = hidden size, L = layers; 12B: L+1 = 49, D = 3840):
 * - hiddenStates: L+1 tensors [B, T, D] (f32, or bf16 with dtype "bf16"), HF's output_hidden_states order:
 *   [0] the scaled token embeddings, [l] the output of decoder layer l, [L] the last layer after the final
 *   RMSNorm. Stacking them on a last axis gives upstream's (B, T, D, L+1). Rows are left-padded: position t of
 *   prompt b is a token iff attentionMask[b, t] = 1; values at padded positions are not meaningful (their
 *   attention rows are fully masked) and must be ignored or replaced downstream, as the connector does.
 * - attentionMask: f32 [B, T], 1 = token, 0 = padding (pads first).
 * - inputIds / lengths: the token ids per prompt and how many are real (<bos> included).
 * The caller owns every tensor returned (copies, independent of the cache).
 */
export interface PromptEncoding {
  hiddenStates: Tensor[];
  attentionMask: Tensor;
  inputIds: number[][];
  lengths: number[];
}

export interface PromptEncoderOptions {
  /** Tokens per prompt, padded; default 1024 (upstream). */
  maxLength?: number;
  /** Prompts kept in the LRU cache; 0 disables it. Default 4 (one 12B entry is 49·1024·3840 values). */
  cacheSize?: number;
  /** Storage of the returned and cached hidden states; default f32 (bf16 halves memory, as upstream stores them). */
  dtype?: "f32" | "bf16";
}

interface Entry {
  hidden: Tensor[];
  ids: number[];
  length: number;
}

export class PromptEncoder implements Disposable {
  readonly maxLength: number;
  readonly cacheSize: number;
  readonly dtype: "f32" | "bf16";
  readonly #cache = new Map<string, Entry>();
  /** Forward passes run (a prompt served from the cache does not count): for tests and metrics. */
  forwards = 0;

  constructor(readonly model: Gemma3TextModel, readonly tokenizer: GemmaTokenizer, opts: PromptEncoderOptions = {}) {
    this.maxLength = opts.maxLength ?? TOKENIZER_MAX_LENGTH;
    this.cacheSize = opts.cacheSize ?? 4;
    this.dtype = opts.dtype ?? "f32";
    if (!Number.isSafeInteger(this.cacheSize) || this.cacheSize < 0) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: cacheSize must be a non-negative integer, got ${this.cacheSize}`);
  }

  /** Encodes prompts (a batch of B); repeated and cached prompts are computed once. */
  encode(prompts: readonly string[]): PromptEncoding {
    if (prompts.length === 0) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", "aiprod.gemma3: encode needs at least one prompt");
    const toks = prompts.map((p) => {
      if (typeof p !== "string") throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: prompts must be strings, got ${typeof p}`);
      return this.tokenizer.encodeForEncoder(p, this.maxLength);
    });
    const keys = toks.map((t) => t.ids.join(","));
    const found = new Map<string, Entry>();
    for (const k of keys) {
      const e = this.#cache.get(k);
      if (e) {
        this.#cache.delete(k); // LRU: re-insert as most recent
        this.#cache.set(k, e);
        found.set(k, e);
      }
    }
    const todo = [...new Set(keys)].filter((k) => !found.has(k));
    const fresh: Entry[] = [];
    if (todo.length) {
      const rows = todo.map((k) => toks[keys.indexOf(k)]!);
      this.forwards++;
      const { lastHiddenState, hiddenStates } = this.model.forward(rows.map((r) => r.ids), { attentionMask: rows.map((r) => r.attentionMask), outputHiddenStates: true });
      lastHiddenState.dispose();
      const stored = hiddenStates!.map((h) => {
        if (this.dtype === "f32") return h;
        try {
          return h.cast("bf16");
        } finally {
          h.dispose();
        }
      });
      // Per-prompt views along the batch dimension (they share the batch's memory).
      todo.forEach((k, b) => {
        const e = { hidden: stored.map((h) => narrow(h, 0, b, 1)), ids: rows[b]!.ids, length: rows[b]!.length };
        found.set(k, e);
        fresh.push(e);
      });
      for (const h of stored) h.dispose();
    }
    const entries = keys.map((k) => found.get(k)!);
    const result: PromptEncoding = {
      hiddenStates: entries[0]!.hidden.map((_, l) => concat(entries.map((e) => e.hidden[l]!), 0)),
      attentionMask: Tensor.from(entries.flatMap((e) => e.ids.map((_, t) => (t >= e.ids.length - e.length ? 1 : 0))), [entries.length, this.maxLength]),
      inputIds: entries.map((e) => [...e.ids]),
      lengths: entries.map((e) => e.length),
    };
    for (const [i, k] of todo.entries()) this.#remember(k, fresh[i]!);
    return result;
  }

  #remember(key: string, e: Entry): void {
    if (this.cacheSize === 0) {
      for (const t of e.hidden) t.dispose();
      return;
    }
    this.#cache.set(key, e);
    while (this.#cache.size > this.cacheSize) {
      const [oldest, old] = this.#cache.entries().next().value as [string, Entry];
      this.#cache.delete(oldest);
      for (const t of old.hidden) t.dispose();
    }
  }

  /** Prompts currently cached. */
  get cached(): number {
    return this.#cache.size;
  }

  clearCache(): void {
    for (const e of this.#cache.values()) for (const t of e.hidden) t.dispose();
    this.#cache.clear();
  }

  dispose(): void {
    this.clearCache();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
