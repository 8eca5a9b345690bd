// One object for pipelines and agents: a Gemma 3 folder's model and tokenizer, prompt encoding with its cache,
// and prompt enhancement on the same weights (upstream serves both from one loaded model too).
import { AiprodError } from "../../native/errors.js";
import { enhancePrompt, type EnhanceOptions } from "./enhance.js";
import { Gemma3TextModel } from "./model.js";
import { type PromptEncoderOptions, type PromptEncoding, PromptEncoder } from "./promptEncoder.js";
import { GemmaTokenizer } from "./tokenizer.js";

export class GemmaTextEncoder implements Disposable {
  readonly encoder: PromptEncoder;

  constructor(readonly model: Gemma3TextModel, readonly tokenizer: GemmaTokenizer, opts: PromptEncoderOptions = {}) {
    // A tokenizer larger than the embedding table (e.g. the packaged Gemma 3 one with a tiny model) would fail
    // only on the first rare token; refuse the pair now.
    if (tokenizer.vocabSize > model.config.vocabSize) {
      throw new AiprodError("ERR_AIPROD_BAD_CONFIG",
        `aiprod.gemma3: the tokenizer from ${tokenizer.source} has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${model.config.vocabSize}`);
    }
    this.encoder = new PromptEncoder(model, tokenizer, opts);
  }

  /** A Hugging Face Gemma 3 folder (the release's `--gemma-root`). */
  static load(dir: string, opts: PromptEncoderOptions = {}): GemmaTextEncoder {
    const model = Gemma3TextModel.load(dir);
    try {
      return new GemmaTextEncoder(model, GemmaTokenizer.fromFolder(dir), opts);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** See PromptEncoding for the layout. */
  encodePrompt(prompts: string | readonly string[]): PromptEncoding {
    return this.encoder.encode(typeof prompts === "string" ? [prompts] : prompts);
  }

  /** See enhancePrompt in ./enhance.ts (an `image` needs a multimodal folder). */
  enhancePrompt(prompt: string, opts: EnhanceOptions = {}): Promise<string> {
    return enhancePrompt(this.model, this.tokenizer, prompt, opts);
  }

  dispose(): void {
    this.encoder.dispose();
    this.model.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
