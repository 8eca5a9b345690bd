// Tokenizer: the tiny Gemma-style tokenizer.json through the engine's tokenizer (@huggingface/tokenizers) and
// through the independent reference BPE (test/reference/bpe.ts) give the same ids; the LTX-2 encoder rules.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { writeTinyGemma } from "../../../src/models/gemma3/tiny.js";
import { GemmaTokenizer, pythonStrip } from "../../../src/models/gemma3/tokenizer.js";
import { ReferenceBpe } from "../../reference/bpe.js";
import { FIXED_STRINGS, longText } from "./strings.js";

const dir = mkdtempSync(join(tmpdir(), "gemma3-tok-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeTinyGemma(dir, { shards: 1 });
const tk = GemmaTokenizer.fromFolder(dir);
const ref = new ReferenceBpe(JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")));

t.test("ids equal the reference tokenizer's on the fixed strings", async (t) => {
  for (const s of [...FIXED_STRINGS, longText(3000, 5)]) {
    const got = tk.encode(s), want = ref.encode(s);
    t.same(got, want, `${JSON.stringify(s.slice(0, 40))}… (${want.length} tokens)`);
    t.same(tk.encode(s, { addSpecialTokens: true }), [ref.bos, ...want], "the post-processor adds <bos> only");
  }
  const long = ref.encode(longText(3000, 5));
  t.ok(long.length > 1024, `the long text is ${long.length} tokens`);
  // The fixture exercises what it claims: byte fallback, merges and special tokens all occur.
  const all = FIXED_STRINGS.flatMap((s) => ref.encode(s));
  t.ok(all.some((id) => id >= 6 && id < 262), "byte-fallback tokens occur");
  t.ok(all.some((id) => [...(tk.decode([id]))].length > 1 && id >= 262), "merged tokens occur");
  t.ok(all.includes(4) && all.includes(5), "<start_of_turn>/<end_of_turn> are matched");
});

t.test("decode inverts encode (byte fallback fused back to UTF-8)", async (t) => {
  for (const s of FIXED_STRINGS) t.equal(tk.decode(tk.encode(s)), s);
});

t.test("encoder rules: strip, <bos>, truncation to maxLength, left padding, mask", async (t) => {
  t.equal(tk.bosId, 2);
  t.equal(tk.padId, 0);
  const e = tk.encodeForEncoder("  the cat \n", 16);
  const body = ref.encode("the cat");
  t.same(e.ids, [...new Array(16 - body.length - 1).fill(0), 2, ...body]);
  t.same(e.attentionMask, [...new Array(16 - body.length - 1).fill(0), ...new Array(body.length + 1).fill(1)]);
  t.equal(e.length, body.length + 1);
  const text = longText(3000, 5);
  const full = tk.encodeForEncoder(text);
  t.equal(full.ids.length, 1024, "exactly 1024 ids");
  t.same(full.ids, [2, ...ref.encode(pythonStrip(text)).slice(0, 1023)], "<bos> + the first 1023 tokens, no EOS, no padding");
  t.ok(full.attentionMask.every((m) => m === 1));
  const empty = tk.encodeForEncoder("   ", 8);
  t.same(empty.ids, [0, 0, 0, 0, 0, 0, 0, 2], "an empty prompt is <bos> alone");
  t.same(tk.encodeForEncoder("<bos>the", 6).ids, [0, 0, 0, 2, 2, ...ref.encode("the")], "a literal <bos> in the text stays (upstream only prepends when missing)");
});

t.test("pythonStrip is Python's str.strip", async (t) => {
  t.equal(pythonStrip("\x1c\u3000 a b \u2029\x1f"), "a b", "U+001C..U+001F and Unicode spaces are stripped");
  t.equal(pythonStrip("\ufeffa"), "\ufeffa", "U+FEFF is not whitespace to Python");
  t.equal(pythonStrip(""), "");
});
