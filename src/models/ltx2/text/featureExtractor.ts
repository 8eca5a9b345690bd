// Feature extractors (feature_extractor.py): the language model's hidden states (embeddings + every layer),
// normalized and interleaved as feature d·L + l (padding zeroed), then projected.
// V1 (19B): per sample and per layer over the valid tokens × dims, 8·(x − mean)/(max − min + 1e-6); one
//   aggregate_embed (no bias) to the caption width, shared by video and audio.
// V2 (2.3): per token and layer x/√(mean_d x² + 1e-6); video_aggregate_embed and audio_aggregate_embed (with
//   bias) to each stream's width, applied to x̃·√(out/hidden).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { affine, reshape } from "../../../runtime/shape.js";
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

/** V2's per-token RMS normalization, interleaved [B, T, D·L] (padding zeroed). */
export function perTokenRmsConcat(hiddenStates: readonly Tensor[], mask: Uint8Array): Float32Array {
  const layers = hiddenStates.length;
  const [b, t, d] = hiddenStates[0]!.shape as [number, number, number];
  const out = new Float32Array(b * t * d * layers);
  hiddenStates.forEach((h, l) => {
    const x = h.toFloat32();
    for (let r = 0; r < b * t; r++) {
      if (!mask[r]) continue;
      let ss = 0;
      for (let k = 0; k < d; k++) ss += x[r * d + k]! ** 2;
      const inv = 1 / Math.sqrt(ss / d + EPS);
      for (let k = 0; k < d; k++) out[r * d * layers + k * layers + l] = x[r * d + k]! * inv;
    }
  });
  return out;
}

export interface TextFeatures {
  video: Tensor;
  audio: Tensor;
}

export interface FeatureExtractor {
  forward(hiddenStates: readonly Tensor[], mask: Uint8Array): TextFeatures;
  dispose(): void;
}

function checkLayers(hiddenStates: readonly Tensor[], layers: number): void {
  if (hiddenStates.length !== layers) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.featureExtractor: got ${hiddenStates.length} hidden states; the checkpoint expects ${layers}`);
  }
}

export class FeatureExtractorV2 implements FeatureExtractor {
  readonly video: LinearWeights;
  readonly audio: LinearWeights;

  constructor(src: WeightSource, readonly hiddenSize: number, readonly layers: number, readonly videoDim: number, readonly audioDim: number) {
    this.video = loadLinear(src, "video_aggregate_embed", hiddenSize * layers, videoDim);
    this.audio = loadLinear(src, "audio_aggregate_embed", hiddenSize * layers, audioDim);
  }

  forward(hiddenStates: readonly Tensor[], mask: Uint8Array): TextFeatures {
    checkLayers(hiddenStates, this.layers);
    const [b, t] = hiddenStates[0]!.shape as [number, number];
    using x = Tensor.from(perTokenRmsConcat(hiddenStates, mask), [b, t, this.hiddenSize * this.layers]);
    using xv = affine(x, Math.sqrt(this.videoDim / this.hiddenSize));
    using xa = affine(x, Math.sqrt(this.audioDim / this.hiddenSize));
    return { video: applyLinear(xv, this.video), audio: applyLinear(xa, this.audio) };
  }

  dispose(): void {
    disposeLinear(this.video);
    disposeLinear(this.audio);
  }
}

export class FeatureExtractorV1 implements FeatureExtractor {
  readonly aggregateEmbed: LinearWeights;

  /** `src` is the checkpoint's `text_embedding_projection.` view. */
  constructor(src: WeightSource, readonly hiddenSize: number, readonly layers: number, readonly outFeatures: number) {
    this.aggregateEmbed = loadLinear(src, "aggregate_embed", hiddenSize * layers, outFeatures, false);
  }

  /** hiddenStates: L tensors [B, T, D]; mask: 1 for valid tokens. Returns [B, T, outFeatures] for both streams. */
  forward(hiddenStates: readonly Tensor[], mask: Uint8Array): TextFeatures {
    checkLayers(hiddenStates, this.layers);
    const [b, t] = hiddenStates[0]!.shape as [number, number];
    using x = Tensor.from(normAndConcat(hiddenStates, mask), [b, t, this.hiddenSize * this.layers]);
    const video = applyLinear(x, this.aggregateEmbed);
    return { video, audio: reshape(video, video.shape) };
  }

  dispose(): void {
    disposeLinear(this.aggregateEmbed);
  }
}
