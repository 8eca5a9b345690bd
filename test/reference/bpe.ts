// An independent reference of the HF `tokenizers` pipeline for Gemma-style tokenizer.json files, written from
// the schema and the library's documented semantics (not from any JavaScript port): added tokens matched
// leftmost-longest on the raw text, Replace normalizer, Split pre-tokenizer (MergedWithPrevious), BPE merges
// applied lowest rank first (leftmost on ties) through a heap, byte fallback to <0xXX> tokens, fused <unk>.
// Anything else in the file makes it throw, so it never silently tokenizes a schema it does not implement.

type Json = Record<string, any>;

class MinHeap<T> {
  #a: T[] = [];
  constructor(private readonly less: (x: T, y: T) => boolean) {}
  get size(): number {
    return this.#a.length;
  }
  push(x: T): void {
    const a = this.#a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T {
    const a = this.#a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

export class ReferenceBpe {
  readonly vocab: Map<string, number>;
  readonly ranks = new Map<string, number>();
  readonly added: { content: string; id: number }[];
  readonly unk: number;
  readonly bos: number;
  readonly #byFirst = new Map<string, { content: string; id: number }[]>();

  constructor(json: Json) {
    const m = json.model;
    if (m.type !== "BPE" || m.byte_fallback !== true || m.fuse_unk !== true || m.continuing_subword_prefix || m.end_of_word_suffix || m.dropout) {
      throw new Error("reference: only Gemma-style BPE (byte fallback, fuse_unk) is implemented");
    }
    if (json.normalizer?.type !== "Replace" || json.normalizer.pattern.String !== " " || json.normalizer.content !== "▁") throw new Error("reference: normalizer");
    if (json.pre_tokenizer?.type !== "Split" || json.pre_tokenizer.pattern.String !== " " || json.pre_tokenizer.behavior !== "MergedWithPrevious") throw new Error("reference: pre_tokenizer");
    this.vocab = new Map(Object.entries(m.vocab as Record<string, number>));
    (m.merges as (string | [string, string])[]).forEach((mg, rank) => {
      const [a, b] = typeof mg === "string" ? mg.split(" ") : mg;
      const key = `${a}\u0000${b}`;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
    for (const t of json.added_tokens as Json[]) {
      if (t.normalized || t.lstrip || t.rstrip || t.single_word) throw new Error(`reference: added token ${t.content} has flags it does not implement`);
    }
    this.added = (json.added_tokens as Json[]).map((t) => ({ content: t.content as string, id: t.id as number }));
    for (const a of this.added) {
      const k = a.content[0] ?? "";
      if (!this.#byFirst.has(k)) this.#byFirst.set(k, []);
      this.#byFirst.get(k)!.push(a);
    }
    this.unk = this.vocab.get(m.unk_token)!;
    this.bos = this.vocab.get("<bos>")!;
  }

  /** Ids without special tokens added (the post-processor's <bos> is the caller's). */
  encode(text: string): number[] {
    // 1. Added tokens, leftmost-longest, on the raw text.
    const out: number[] = [];
    let seg = 0, i = 0;
    while (i < text.length) {
      let best: { content: string; id: number } | undefined;
      for (const a of this.#byFirst.get(text[i]!) ?? []) if (a.content.length && text.startsWith(a.content, i) && (!best || a.content.length > best.content.length)) best = a;
      if (best) {
        out.push(...this.#encodeSegment(text.slice(seg, i)));
        out.push(best.id);
        i += best.content.length;
        seg = i;
      } else i++;
    }
    out.push(...this.#encodeSegment(text.slice(seg)));
    return out;
  }

  #encodeSegment(s: string): number[] {
    if (!s) return [];
    const normalized = s.replaceAll(" ", "▁");
    // Split on " " (none survive the normalizer, kept for the schema's sake), each piece ending with its space.
    const pieces = normalized.split(/(?<= )/u).filter((p) => p.length);
    return pieces.flatMap((p) => this.#bpe(p));
  }

  #bpe(word: string): number[] {
    // Initial symbols: characters in the vocabulary, else their UTF-8 bytes as <0xXX> (else <unk>).
    const syms: string[] = [];
    for (const ch of word) {
      if (this.vocab.has(ch)) syms.push(ch);
      else {
        for (const b of new TextEncoder().encode(ch)) {
          const bt = `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
          syms.push(this.vocab.has(bt) ? bt : "\u0000unk");
        }
      }
    }
    // Linked list + heap of candidate merges (rank, left index).
    const n = syms.length;
    const next = Array.from({ length: n }, (_, k) => (k + 1 < n ? k + 1 : -1));
    const prev = Array.from({ length: n }, (_, k) => k - 1);
    const alive = new Array<boolean>(n).fill(true);
    const heap = new MinHeap<[number, number, string, string]>((x, y) => x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]));
    const consider = (l: number) => {
      const r = next[l]!;
      if (l < 0 || r < 0) return;
      const rank = this.ranks.get(`${syms[l]}\u0000${syms[r]}`);
      if (rank !== undefined) heap.push([rank, l, syms[l]!, syms[r]!]);
    };
    for (let k = 0; k + 1 < n; k++) consider(k);
    while (heap.size) {
      const [, l, a, b] = heap.pop();
      const r = next[l]!;
      if (!alive[l] || r < 0 || syms[l] !== a || syms[r] !== b) continue; // stale candidate
      syms[l] = a + b;
      alive[r] = false;
      next[l] = next[r]!;
      if (next[r]! >= 0) prev[next[r]!] = l;
      consider(prev[l]!);
      consider(l);
    }
    const ids: number[] = [];
    for (let k = 0; k >= 0 && k < n; k = next[k]!) {
      const id = syms[k] === "\u0000unk" ? this.unk : this.vocab.get(syms[k]!);
      if (id === undefined) throw new Error(`reference: merged symbol ${syms[k]} is not in the vocabulary`);
      if (id === this.unk && ids[ids.length - 1] === this.unk) continue; // fuse_unk
      ids.push(id);
    }
    return ids;
  }
}
