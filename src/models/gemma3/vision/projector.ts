// Gemma3MultiModalProjector: the tower's [B, P, C] patch grid (S×S, S = image/patch) is average-pooled in
// k×k blocks (k = S / sqrt(mm_tokens_per_image), stride k: HF's transpose → AvgPool2d → flatten, row-major),
// normed with Gemma's RMSNorm (1 + w, eps = the vision layer_norm_eps), and projected to the text width by
// x @ mm_input_projection_weight ([C_vision, D_text], not a Linear's transposed layout).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { linear } from "../../../runtime/linear.js";
import { rmsNorm } from "../../../runtime/norm.js";
import { transpose } from "../../../runtime/shape.js";
import { Tensor } from "../../../runtime/tensor.js";
import { checkedWeight, gemmaNormWeight } from "../weights.js";
import type { Gemma3VisionConfig } from "./config.js";

/** Average pooling of a row-major S×S patch grid x [B, S·S, C] in k×k blocks → [B, (S/k)², C]. */
export function avgPoolPatches(x: Tensor, k: number): Tensor {
  const [B, P, C] = x.shape as [number, number, number];
  const S = Math.round(Math.sqrt(P));
  const So = S / k;
  const src = x.toFloat32();
  const acc = new Float64Array(C);
  const out = new Float32Array(B * So * So * C);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < So; oy++) for (let ox = 0; ox < So; ox++) {
      acc.fill(0);
      for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) {
        const base = (b * P + (oy * k + dy) * S + ox * k + dx) * C;
        for (let c = 0; c < C; c++) acc[c] = acc[c]! + src[base + c]!;
      }
      const o = (b * So * So + oy * So + ox) * C;
      for (let c = 0; c < C; c++) out[o + c] = acc[c]! / (k * k);
    }
  }
  return Tensor.from(out, [B, So * So, C]);
}

export class Gemma3MultiModalProjector {
  /** mm_soft_emb_norm.weight as (1 + w), f32 [C_vision]. */
  readonly softEmbNorm: Tensor;
  /** mm_input_projection_weight transposed once to a Linear's [D_text, C_vision] (stored dtype kept). */
  readonly projection: Tensor;
  readonly kernel: number;

  /** `w` views the `multi_modal_projector.` keys. */
  constructor(w: WeightSource, readonly c: Gemma3VisionConfig, textHidden: number) {
    const C = c.vision.hiddenSize;
    this.softEmbNorm = gemmaNormWeight(w, "mm_soft_emb_norm.weight", C);
    using raw = checkedWeight(w, "mm_input_projection_weight", [C, textHidden]);
    this.projection = transpose(raw, 0, 1);
    const side = c.vision.imageSize / c.vision.patchSize;
    this.kernel = side / Math.round(Math.sqrt(c.mmTokensPerImage));
  }

  /** Vision tower output f32 [B, P, C_vision] → image features f32 [B, mm_tokens_per_image, D_text]. */
  forward(visionOutputs: Tensor): Tensor {
    using pooled = avgPoolPatches(visionOutputs, this.kernel);
    using normed = rmsNorm(pooled, { weight: this.softEmbNorm, eps: this.c.vision.layerNormEps });
    return linear(normed, this.projection);
  }
}
