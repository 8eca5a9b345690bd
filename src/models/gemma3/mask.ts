// The additive attention bias of one forward: causal, key padding (left padding or any 0 in the mask) and, on
// sliding layers, the window. Queries sit at positions start..start+T-1 of a key sequence 0..Tk-1 (start = the
// cached length). Keys beyond the window are masked by position difference, as HF's sliding mask does
// (q − k < window), padding included in the count because HF's positions count pads too. Multimodal prompts add
// HF's token_type_ids rule: a token of an image may attend to every token of the same image (earlier or later),
// OR-ed with the causal / sliding rule on every layer; padding stays masked.
import { Tensor } from "../../runtime/tensor.js";

/**
 * Per batch row and token, the image the token belongs to (1, 2, … for each run of consecutive `imageTokenId`
 * tokens, HF's image_group_ids) or 0 for text.
 */
export function imageGroups(ids: readonly (readonly number[])[], imageTokenId: number): number[][] {
  return ids.map((row) => {
    let g = 0;
    return row.map((id, t) => (id !== imageTokenId ? 0 : t > 0 && row[t - 1] === imageTokenId ? g : ++g));
  });
}

/**
 * keyMask: per batch row, Tk entries of 1 (attend) / 0 (padding). groups: per batch row, the image group of each
 * of the T query tokens (the last T keys), 0 for text; same non-zero group ⇒ mutually visible. Returns f32
 * [B, 1, T, Tk].
 */
export function attentionBias(keyMask: readonly (readonly number[])[], queryLength: number, window?: number, groups?: readonly (readonly number[])[]): Tensor {
  const B = keyMask.length;
  const Tk = keyMask[0]?.length ?? 0;
  const start = Tk - queryLength;
  const bias = new Float32Array(B * queryLength * Tk);
  for (let b = 0; b < B; b++) {
    const km = keyMask[b]!;
    if (km.length !== Tk) throw new RangeError(`attentionBias: mask row ${b} has ${km.length} entries, row 0 has ${Tk}`);
    for (let i = 0; i < queryLength; i++) {
      const q = start + i;
      const row = (b * queryLength + i) * Tk;
      for (let j = 0; j < Tk; j++) {
        const gq = groups?.[b]![i] ?? 0;
        const sameImage = gq !== 0 && j >= start && groups![b]![j - start] === gq;
        const ok = km[j] !== 0 && ((j <= q && (window === undefined || q - j < window)) || sameImage);
        bias[row + j] = ok ? 0 : -Infinity;
      }
    }
  }
  return Tensor.from(bias, [B, 1, queryLength, Tk]);
}
