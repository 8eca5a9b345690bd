// A small but real Gemma-style tokenizer.json (HF tokenizers schema): BPE with byte fallback, Gemma 3's
// normalizer (space → ▁), pre-tokenizer, <bos> template and decoder, and the special tokens <pad> <eos> <bos>
// <unk> <start_of_turn> <end_of_turn>. Merges spell a few words, so tests see multi-character tokens, byte
// fallback for anything outside the tiny alphabet (accents, CJK, emoji) and special-token matching. Gemma 3's
// image tokens <start_of_image> <end_of_image> <image_soft_token> come last (special added tokens), as in the
// release where they sit far above the text ids.

const SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"] as const;
const IMAGE_TOKENS = ["<start_of_image>", "<end_of_image>", "<image_soft_token>"] as const;
const ALPHABET = [..."▁\nabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'-:"];
const WORDS = ["▁the", "▁a", "▁cat", "▁dog", "▁on", "▁mat", "▁is", "▁walk", "ing", "er", "▁▁", "▁▁▁▁", "\n\n", "▁sun", "▁video",
  "▁slow", "ly", "▁camera", "▁model", "user", "▁light", "▁of", "▁and", "the", "▁in"];

export interface TinyTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  vocabSize: number;
  /** Ids of <start_of_image>, <end_of_image>, <image_soft_token>. */
  imageTokenIds: { boi: number; eoi: number; image: number };
}

export function tinyTokenizerFiles(): TinyTokenizerFiles {
  const vocab: Record<string, number> = {};
  const add = (tok: string) => {
    if (!(tok in vocab)) vocab[tok] = Object.keys(vocab).length;
  };
  for (const s of SPECIALS) add(s);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  for (const ch of ALPHABET) add(ch);
  // Each word is built left to right: merge (prefix, next char); earlier words give lower ranks.
  const merges: string[] = [];
  for (const w of WORDS) {
    const chars = [...w];
    let cur = chars[0]!;
    for (const ch of chars.slice(1)) {
      const m = `${cur} ${ch}`;
      if (!merges.includes(m)) merges.push(m);
      cur += ch;
      add(cur);
    }
  }
  for (const s of IMAGE_TOKENS) add(s);
  const special = (content: string) => ({ id: vocab[content]!, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [...SPECIALS, ...IMAGE_TOKENS].map(special),
    normalizer: { type: "Replace", pattern: { String: " " }, content: "▁" },
    pre_tokenizer: { type: "Split", pattern: { String: " " }, behavior: "MergedWithPrevious", invert: false },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<bos>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<bos>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<bos>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<bos>": { id: "<bos>", ids: [2], tokens: ["<bos>"] } },
    },
    decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }] },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true,
      byte_fallback: true, ignore_merges: false, vocab, merges },
  };
  const tokenizerConfig = { add_bos_token: true, add_eos_token: false, bos_token: "<bos>", eos_token: "<eos>", pad_token: "<pad>", unk_token: "<unk>",
    padding_side: "left", tokenizer_class: "GemmaTokenizer", clean_up_tokenization_spaces: false, spaces_between_special_tokens: false };
  return { tokenizerJson, tokenizerConfig, vocabSize: Object.keys(vocab).length,
    imageTokenIds: { boi: vocab["<start_of_image>"]!, eoi: vocab["<end_of_image>"]!, image: vocab["<image_soft_token>"]! } };
}
