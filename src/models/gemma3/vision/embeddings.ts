// SiglipVisionEmbeddings: a patch_size-strided Conv2d (no padding, with bias) cuts the image into patches,
// flattened in row-major patch order, plus a learned position embedding per patch (position ids 0..P-1).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { conv2d } from "../../../runtime/conv.js";
import { addBroadcast, permute, reshape } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import type { SiglipVisionConfig } from "./config.js";
import { f32Weight } from "./weights.js";

export class SiglipVisionEmbeddings {
  /** patch_embedding.weight, f32 [hidden, 3, patch, patch]. */
  readonly patchWeight: Tensor;
  readonly patchBias: Tensor;
  /** position_embedding.weight, f32 [numPatches, hidden]. */
  readonly position: Tensor;
  /** The checkpoint stores bf16: upstream's conv then sees bf16 pixels, so they are rounded to bf16 too. */
  readonly bf16: boolean;

  constructor(w: WeightSource, readonly c: SiglipVisionConfig) {
    const { hiddenSize: C, numChannels, patchSize: p } = c;
    this.patchWeight = f32Weight(w, "patch_embedding.weight", [C, numChannels, p, p]);
    this.bf16 = w.info("patch_embedding.weight").dtype === "bf16";
    this.patchBias = f32Weight(w, "patch_embedding.bias", [C]);
    this.position = f32Weight(w, "position_embedding.weight", [c.numPatches, C]);
  }

  /** pixels f32 [B, 3, image, image] → f32 [B, numPatches, hidden]. */
  forward(pixels: Tensor): Tensor {
    const [B] = pixels.shape as [number];
    using rounded = this.bf16 ? pixels.cast("bf16") : null;
    using x = rounded ? rounded.cast("f32") : null;
    using patches = conv2d(x ?? pixels, this.patchWeight, { bias: this.patchBias, stride: this.c.patchSize });
    using flat = reshape(patches, [B, this.c.hiddenSize, this.c.numPatches]);
    using tokens = permute(flat, [0, 2, 1]);
    return addBroadcast(tokens, this.position);
  }
}
