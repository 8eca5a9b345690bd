// SiglipVisionModel (Gemma 3's vision tower, without a pooling head): embeddings → encoder layers →
// post_layernorm. Weights under `vision_model.` of the tower's prefix.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import type { Tensor } from "../../../runtime/tensor.js";
import type { SiglipVisionConfig } from "./config.js";
import { SiglipVisionEmbeddings } from "./embeddings.js";
import { SiglipEncoderLayer } from "./encoderLayer.js";
import { affineLayerNorm } from "./layerNorm.js";
import { type LayerNormParams, layerNormParams } from "./weights.js";

export class SiglipVisionModel {
  readonly embeddings: SiglipVisionEmbeddings;
  readonly layers: SiglipEncoderLayer[];
  readonly postLayernorm: LayerNormParams;

  /** `w` views the tower's `vision_model.` keys. */
  constructor(w: WeightSource, readonly c: SiglipVisionConfig) {
    this.embeddings = new SiglipVisionEmbeddings(w.view("embeddings."), c);
    this.layers = Array.from({ length: c.numLayers }, (_, i) => new SiglipEncoderLayer(w.view(`encoder.layers.${i}.`), c));
    this.postLayernorm = layerNormParams(w, "post_layernorm", c.hiddenSize);
  }

  /** pixels f32 [B, 3, image, image] (normalized to [-1, 1]) → last_hidden_state f32 [B, numPatches, hidden]. */
  forward(pixels: Tensor): Tensor {
    let h = this.embeddings.forward(pixels);
    try {
      for (const layer of this.layers) {
        const next = layer.forward(h);
        h.dispose();
        h = next;
      }
      return affineLayerNorm(h, this.postLayernorm, this.c.layerNormEps);
    } finally {
      h.dispose();
    }
  }
}
