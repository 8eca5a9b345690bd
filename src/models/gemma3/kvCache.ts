// Keys/values of every layer for the tokens seen so far, with the key mask (1 = real token, 0 = padding) that
// later queries must respect. Owned by one generation; dispose() frees the tensors.
import type { LayerKV } from "./attention.js";

export class KVCache implements Disposable {
  layers: (LayerKV | undefined)[];
  /** Per batch row, one entry per cached position. */
  keyMask: number[][] = [];

  constructor(numLayers: number) {
    this.layers = new Array<LayerKV | undefined>(numLayers).fill(undefined);
  }

  /** Cached positions (the next token's position). */
  get length(): number {
    return this.keyMask[0]?.length ?? 0;
  }

  dispose(): void {
    for (const kv of this.layers) {
      kv?.k.dispose();
      kv?.v.dispose();
    }
    this.layers.fill(undefined);
    this.keyMask = [];
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
