// The fixed strings the tokenizer tests compare: whitespace runs, unicode (accents, combining marks, CJK,
// emoji with ZWJ, flags, RTL), special tokens inside text and their near misses.
export const FIXED_STRINGS: string[] = [
  "the cat is walking on the mat",
  "  leading and trailing  ",
  "multiple    spaces   between\twords\tand\ttabs",
  "line one\nline two\n\nline four\n\n\n",
  "ünïcödé café naïve résumé",
  "e\u0301 combining, \u200b zero width, \u00a0 no-break space",
  "日本語のテキストと中文字符",
  "emoji 🎉 family 👩‍👩‍👧 flag 🇫🇷 done",
  "Ελληνικά и русский, עברית",
  "<start_of_turn>user\nA slow camera move<end_of_turn>\n<start_of_turn>model\n",
  "<start_of<end_of_turn><bos><unk>",
  "The video of the sun, slowly walking! 123: 'quoted' - dash?",
  "",
];

/** Deterministic pseudo-random text of about `words` words mixing ASCII, accents and CJK. */
export function longText(words: number, seed: number): string {
  const pool = ["the", "cat", "walking", "slowly", "camera", "light", "of", "and", "sun", "video", "café", "日本", "model", "is", "a",
    "dog", "on", "mat", "glow", "river", "🎉", "naïve", "in"];
  let s = seed >>> 0;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(pool[s % pool.length]!);
    if (s % 17 === 0) out.push("\n");
  }
  return `  ${out.join(" ")}. `;
}
