// Prompt enhancement (upstream LTX-2 enhance_t2v / enhance_i2v): the Gemma chat turn (system text folded into
// the first user turn, as Gemma 3's chat template does), then generation with the KV cache. Upstream samples with
// temperature 0.7 from the checkpoint's generation config (top-k 64, top-p 0.95), seed 10, at most 512 new
// tokens; those are the defaults here. With an image (i2v), the user turn is [image, "User Raw Input Prompt:
// <prompt>."]; the image goes through the SigLIP tower and projector (./vision) and its 256 features replace the
// `<image_soft_token>` embeddings that Gemma3Processor expands `<start_of_image>` into.
import { AiprodError } from "../../native/errors.js";
import { Tensor } from "../../runtime/tensor.js";
import { generate } from "./generate.js";
import type { Gemma3TextModel, ImageEmbeddings } from "./model.js";
import type { Sampling } from "./sampling.js";
import { I2V_SYSTEM_PROMPT, T2V_SYSTEM_PROMPT } from "./systemPrompts.js";
import type { GemmaTokenizer } from "./tokenizer.js";
import { pythonStrip } from "./tokenizer.js";
import type { Gemma3VisionConfig } from "./vision/config.js";
import { type Gemma3ImageInput, preprocessGemma3Image } from "./vision/preprocess.js";

export interface EnhanceOptions {
  /**
   * A first-frame image (file path, encoded PNG/JPEG/WebP/… buffer, or decoded samples): image-to-video
   * enhancement. The image is resized to the vision tower's image_size (896×896 in the release, aspect ratio
   * ignored) and becomes mm_tokens_per_image (256) soft tokens of the prompt. Needs a multimodal checkpoint
   * (vision_tower + multi_modal_projector weights); a text-only folder fails with ERR_AIPROD_MISSING_WEIGHT or
   * ERR_AIPROD_UNSUPPORTED, an undecodable image with ERR_AIPROD_BAD_IMAGE.
   */
  image?: Gemma3ImageInput;
  /** Default T2V_SYSTEM_PROMPT, or I2V_SYSTEM_PROMPT with an image. */
  systemPrompt?: string;
  /** Default 512. */
  maxNewTokens?: number;
  /** Default: sample with temperature 0.7, top-k 64, top-p 0.95, seed 10 (upstream's Gemma 3 settings). */
  sampling?: Sampling;
  /** Called after every generated token (see GenerateOptions.onToken); throwing from it stops the generation. */
  onToken?: (generated: number, maxNewTokens: number) => void;
}

export const DEFAULT_ENHANCE_SAMPLING: Sampling = { kind: "sample", temperature: 0.7, topK: 64, topP: 0.95, seed: 10 };

/** Gemma 3's chat template for [system, user] with the generation prompt (rendered without a Jinja engine). */
export function gemmaChatPrompt(system: string, user: string): string {
  return `<start_of_turn>user\n${system}\n\n${pythonStrip(user)}<end_of_turn>\n<start_of_turn>model\n`;
}

/**
 * The i2v chat turn as Gemma3Processor tokenizes it: the template renders the image item as `<start_of_image>`
 * before the (trimmed) text, and the processor expands it to "\n\n<start_of_image>" + mmTokens ×
 * "<image_soft_token>" + "<end_of_image>\n\n".
 */
export function gemmaImageChatPrompt(system: string, user: string, mmTokens: number): string {
  const image = `\n\n<start_of_image>${"<image_soft_token>".repeat(mmTokens)}<end_of_image>\n\n`;
  return `<start_of_turn>user\n${system}\n\n${image}${pythonStrip(user)}<end_of_turn>\n<start_of_turn>model\n`;
}

/** upstream enhance_i2v's user text. */
export const i2vUserText = (prompt: string): string => `User Raw Input Prompt: ${prompt}.`;

/**
 * <bos> + the tokens of the i2v chat turn. The tokenizer must know Gemma 3's image tokens with the ids the
 * config gives (image_token_index, boi_token_index, eoi_token_index).
 */
export function i2vPromptIds(tokenizer: GemmaTokenizer, vision: Gemma3VisionConfig, system: string, prompt: string): number[] {
  for (const [token, id, field] of [["<image_soft_token>", vision.imageTokenId, "image_token_index"], ["<start_of_image>", vision.boiTokenId, "boi_token_index"],
    ["<end_of_image>", vision.eoiTokenId, "eoi_token_index"]] as const) {
    const got = tokenizer.tokenId(token);
    if (got === undefined) throw new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.gemma3: the tokenizer from ${tokenizer.source} has no ${token} token; image prompts need Gemma 3's image tokens`);
    if (got !== id) throw new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.gemma3: the tokenizer gives ${token} id ${got} but config.json's ${field} is ${id}`);
  }
  const ids = [tokenizer.bosId, ...tokenizer.encode(gemmaImageChatPrompt(system, i2vUserText(prompt), vision.mmTokensPerImage))];
  const n = ids.filter((x) => x === vision.imageTokenId).length;
  if (n !== vision.mmTokensPerImage) throw new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.gemma3: the i2v prompt tokenized to ${n} image tokens; expected ${vision.mmTokensPerImage}`);
  return ids;
}

/** The image's features for the prompt: preprocess (resize, normalize) → vision tower → projector. */
export async function gemmaImageEmbeddings(model: Gemma3TextModel, image: Gemma3ImageInput): Promise<ImageEmbeddings> {
  const tower = model.visionTower();
  const size = tower.config.vision.imageSize;
  const pixels = await preprocessGemma3Image(image, size);
  using t = Tensor.from(pixels, [1, 3, size, size]);
  return { tokenId: tower.config.imageTokenId, features: tower.forward(t) };
}

/**
 * The enhanced prompt; an empty completion returns the original prompt. Text-only (t2v) without `image`; with
 * `image`, upstream's i2v enhancement (see EnhanceOptions.image). Decoded with special tokens skipped.
 */
export async function enhancePrompt(model: Gemma3TextModel, tokenizer: GemmaTokenizer, prompt: string, opts: EnhanceOptions = {}): Promise<string> {
  let ids: number[];
  let image: ImageEmbeddings | undefined;
  if (opts.image !== undefined) {
    const vision = model.visionTower().config;
    ids = i2vPromptIds(tokenizer, vision, opts.systemPrompt ?? I2V_SYSTEM_PROMPT, prompt);
    image = await gemmaImageEmbeddings(model, opts.image);
  } else {
    ids = [tokenizer.bosId, ...tokenizer.encode(gemmaChatPrompt(opts.systemPrompt ?? T2V_SYSTEM_PROMPT, `user prompt: ${prompt}`))];
  }
  try {
    const stop = new Set(model.config.eosTokenIds);
    for (const t of ["<end_of_turn>", "<eos>"]) {
      const id = tokenizer.tokenId(t);
      if (id !== undefined) stop.add(id);
    }
    const out = generate(model, ids, {
      maxNewTokens: opts.maxNewTokens ?? 512, sampling: opts.sampling ?? DEFAULT_ENHANCE_SAMPLING, stopTokenIds: [...stop],
      ...(image ? { image } : {}), ...(opts.onToken ? { onToken: opts.onToken } : {}),
    });
    const enhanced = pythonStrip(tokenizer.decode(out, { skipSpecialTokens: true }));
    return enhanced.length ? enhanced : prompt;
  } finally {
    image?.features.dispose();
  }
}
