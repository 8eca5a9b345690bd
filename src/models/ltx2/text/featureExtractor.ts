// FeatureExtractorV1 (19B, feature_extractor.py): the language model's hidden states (embeddings + every
// layer), each normalized per sample and per layer over the valid tokens × dims — 8·(x − mean)/(max − min +
// 1e-6), padding zeroed — interleaved as feature d·L + l, then aggregate_embed (no bias) to the caption width.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { Tensor } from "../../../runtime/tensor.js";
import { applyLinear, disposeLinear, type LinearWeights, loadLinear } from "../transformer/weights.js";

const EPS = 1e-6;

/** The normalized, interleaved features [B, T, D·L] (exported for the reference tests). */
export function normAndConcat(hiddenStates: readonly Tensor[], mask: Uint8Array): Float32Array {
  const layers = hiddenStates.length;
  const [b, t, d] = hiddenStates[0]!.shape as [number, number, number];
  if (mask.length !== b * t) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.featureExtractor: mask has ${mask.length} entries; expected ${b * t}`);
  const out = new Float32Array(b * t * d * layers);
  hiddenStates.forEach((h, l) => {
    if (h.shape.join() !== [b, t, d].join()) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.featureExtractor: hidden state ${l} is [${h.shape}]; expected [${b},${t},${d}]`);
    const x = h.toFloat32();
    for (let s = 0; s < b; s++) {
      let sum = 0, count = 0, min = Infinity, max = -Infinity;
      for (let i = 0; i < t; i++) {
        if (!mask[s * t + i]) continue;
        const row = x.subarray((s * t + i) * d, (s * t + i + 1) * d);
        for (const v of row) {
          sum += v;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        count += d;
      }
      const mean = sum / (count + EPS);
      const scale = 8 / (max - min + EPS);
      for (let i = 0; i < t; i++) {
        if (!mask[s * t + i]) continue;
        const base = (s * t + i) * d;
        const o = (s * t + i) * d * layers;
        for (let k = 0; k < d; k++) out[o + k * layers + l] = (x[base + k]! - mean) * scale;
      }
    }
  });
  return out;
}

export class FeatureExtractorV1 {
  readonly aggregateEmbed: LinearWeights;

  /** `src` is the checkpoint's `text_embedding_projection.` view. */
  constructor(src: WeightSource, readonly hiddenSize: number, readonly layers: number, readonly outFeatures: number) {
    this.aggregateEmbed = loadLinear(src, "aggregate_embed", hiddenSize * layers, outFeatures, false);
  }

  /** hiddenStates: L tensors [B, T, D]; mask: 1 for valid tokens. Returns [B, T, outFeatures]. */
  forward(hiddenStates: readonly Tensor[], mask: Uint8Array): Tensor {
    if (hiddenStates.length !== this.layers) {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.featureExtractor: got ${hiddenStates.length} hidden states; the checkpoint expects ${this.layers}`);
    }
    const [b, t] = hiddenStates[0]!.shape as [number, number];
    using x = Tensor.from(normAndConcat(hiddenStates, mask), [b, t, this.hiddenSize * this.layers]);
    return applyLinear(x, this.aggregateEmbed);
  }

  dispose(): void {
    disposeLinear(this.aggregateEmbed);
  }
}
