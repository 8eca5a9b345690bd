// Prompt enhancement: the Gemma chat turn (system text folded into the first user turn, as Gemma 3's chat
// template does), then generation with the KV cache. Upstream samples with temperature 0.7 from the
// checkpoint's generation config (top-k 64, top-p 0.95), seed 10, at most 512 new tokens; those are the
// defaults here. Image-conditioned enhancement needs Gemma 3's SigLIP vision tower, which the engine does not
// run: passing `image` is an error (ERR_AIPROD_UNSUPPORTED) rather than a silent text-only result.
import { AiprodError } from "../../native/errors.js";
import { generate } from "./generate.js";
import type { Gemma3TextModel } from "./model.js";
import type { Sampling } from "./sampling.js";
import { T2V_SYSTEM_PROMPT } from "./systemPrompts.js";
import type { GemmaTokenizer } from "./tokenizer.js";
import { pythonStrip } from "./tokenizer.js";

export interface EnhanceOptions {
  /** A first-frame image: not supported (no vision tower); throws ERR_AIPROD_UNSUPPORTED. */
  image?: unknown;
  systemPrompt?: string;
  maxNewTokens?: number;
  /** Default: sample with temperature 0.7, top-k 64, top-p 0.95, seed 10 (upstream's Gemma 3 settings). */
  sampling?: Sampling;
}

export const DEFAULT_ENHANCE_SAMPLING: Sampling = { kind: "sample", temperature: 0.7, topK: 64, topP: 0.95, seed: 10 };

/** Gemma 3's chat template for [system, user] with the generation prompt (rendered without a Jinja engine). */
export function gemmaChatPrompt(system: string, user: string): string {
  return `<start_of_turn>user\n${system}\n\n${pythonStrip(user)}<end_of_turn>\n<start_of_turn>model\n`;
}

/** The enhanced prompt; an empty completion returns the original prompt. */
export function enhancePrompt(model: Gemma3TextModel, tokenizer: GemmaTokenizer, prompt: string, opts: EnhanceOptions = {}): string {
  if (opts.image !== undefined) {
    throw new AiprodError("ERR_AIPROD_UNSUPPORTED",
      "aiprod.gemma3.enhancePrompt: image-conditioned enhancement needs Gemma 3's vision tower, which this engine does not run; call it without `image` for text-only enhancement");
  }
  const text = gemmaChatPrompt(opts.systemPrompt ?? T2V_SYSTEM_PROMPT, `user prompt: ${prompt}`);
  const ids = [tokenizer.bosId, ...tokenizer.encode(text)];
  const stop = new Set(model.config.eosTokenIds);
  for (const t of ["<end_of_turn>", "<eos>"]) {
    const id = tokenizer.tokenId(t);
    if (id !== undefined) stop.add(id);
  }
  const out = generate(model, ids, { maxNewTokens: opts.maxNewTokens ?? 512, sampling: opts.sampling ?? DEFAULT_ENHANCE_SAMPLING, stopTokenIds: [...stop] });
  const enhanced = pythonStrip(tokenizer.decode(out, { skipSpecialTokens: true }));
  return enhanced.length ? enhanced : prompt;
}
