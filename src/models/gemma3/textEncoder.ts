// One object for pipelines and agents: a Gemma 3 folder's model and tokenizer, prompt encoding with its cache,
// and prompt enhancement on the same weights (upstream serves both from one loaded model too).
import { enhancePrompt, type EnhanceOptions } from "./enhance.js";
import { Gemma3TextModel } from "./model.js";
import { type PromptEncoderOptions, type PromptEncoding, PromptEncoder } from "./promptEncoder.js";
import { GemmaTokenizer } from "./tokenizer.js";

export class GemmaTextEncoder implements Disposable {
  readonly encoder: PromptEncoder;

  constructor(readonly model: Gemma3TextModel, readonly tokenizer: GemmaTokenizer, opts: PromptEncoderOptions = {}) {
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

  enhancePrompt(prompt: string, opts: EnhanceOptions = {}): string {
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
