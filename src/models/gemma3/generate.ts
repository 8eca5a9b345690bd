// Autoregressive generation for one prompt. With the KV cache (default) the prompt is run once and each new
// token costs one single-position forward; without it every step reruns the whole sequence (the reference the
// cache is tested against).
import { AiprodError } from "../../native/errors.js";
import { KVCache } from "./kvCache.js";
import type { Gemma3TextModel, ImageEmbeddings } from "./model.js";
import { type Sampling, TokenSampler } from "./sampling.js";

export interface GenerateOptions {
  maxNewTokens?: number;
  sampling?: Sampling;
  /** Stop after any of these ids (included in the output); default the config's EOS ids. */
  stopTokenIds?: readonly number[];
  /** Default true. */
  useCache?: boolean;
  /** Image features for the prompt's image tokens (ForwardOptions.image); generated tokens are text. */
  image?: ImageEmbeddings;
  /**
   * Called after every generated token with the tokens so far (the last one included) and maxNewTokens. It may
   * throw (e.g. a cancellation check): generation stops there and the error propagates.
   */
  onToken?: (generated: number, maxNewTokens: number) => void;
}

/** Generated ids (prompt excluded), ending with the stop token when one was produced. */
export function generate(model: Gemma3TextModel, promptIds: readonly number[], opts: GenerateOptions = {}): number[] {
  const maxNew = opts.maxNewTokens ?? 512;
  if (!Number.isSafeInteger(maxNew) || maxNew < 0) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3.generate: maxNewTokens must be a non-negative integer, got ${maxNew}`);
  if (promptIds.length === 0) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", "aiprod.gemma3.generate: the prompt has no tokens");
  const stop = new Set(opts.stopTokenIds ?? model.config.eosTokenIds);
  const sampler = new TokenSampler(opts.sampling ?? { kind: "greedy" });
  const out: number[] = [];
  const nextFrom = (ids: readonly number[], cache?: KVCache): number => {
    // The prompt pass (the first with the cache, every one without) carries the image.
    const image = opts.image && (!cache || cache.length === 0) ? { image: opts.image } : {};
    const { lastHiddenState } = model.forward([ids], { ...(cache ? { cache } : {}), ...image });
    using h = lastHiddenState;
    using logits = model.logitsOfLast(h);
    return sampler.next(logits.toFloat32());
  };
  if (opts.useCache ?? true) {
    using cache = new KVCache(model.config.numLayers);
    let step: readonly number[] = promptIds;
    while (out.length < maxNew) {
      const id = nextFrom(step, cache);
      out.push(id);
      opts.onToken?.(out.length, maxNew);
      if (stop.has(id)) break;
      step = [id];
    }
  } else {
    const seq = [...promptIds];
    while (out.length < maxNew) {
      const id = nextFrom(seq);
      out.push(id);
      seq.push(id);
      opts.onToken?.(out.length, maxNew);
      if (stop.has(id)) break;
    }
  }
  return out;
}
