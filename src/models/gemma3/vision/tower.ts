// Gemma 3's image path as one object: SigLIP vision tower + multi-modal projector, from a multimodal
// checkpoint in either key layout: `vision_tower.vision_model.…` / `multi_modal_projector.…` (transformers
// < 4.52) or the same under `model.` (later releases, with the language model under `model.language_model.`).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { Tensor } from "../../../runtime/tensor.js";
import { type Gemma3VisionConfig, parseGemma3VisionConfig } from "./config.js";
import { Gemma3MultiModalProjector } from "./projector.js";
import { SiglipVisionModel } from "./visionModel.js";

/** Root prefixes of the vision weights, newest layout first. */
export const VISION_PREFIXES = ["model.", ""] as const;
const PROBE = "vision_tower.vision_model.embeddings.patch_embedding.weight";

/** The prefix under which `w` holds the vision tower, or undefined (a text-only checkpoint). */
export function visionPrefix(w: WeightSource): string | undefined {
  return VISION_PREFIXES.find((p) => w.has(p + PROBE));
}

/** Disposes every Tensor reachable through plain fields, arrays and the module objects of the tower. */
function disposeAll(x: unknown, seen = new Set<unknown>()): void {
  if (typeof x !== "object" || x === null || seen.has(x)) return;
  seen.add(x);
  if (x instanceof Tensor) return x.dispose();
  for (const v of Array.isArray(x) ? x : Object.values(x)) disposeAll(v, seen);
}

export class Gemma3VisionTower implements Disposable {
  readonly visionModel: SiglipVisionModel;
  readonly projector: Gemma3MultiModalProjector;

  /** `w` views the root of the checkpoint's vision keys (after the layout prefix). */
  constructor(w: WeightSource, readonly config: Gemma3VisionConfig, textHidden: number) {
    this.visionModel = new SiglipVisionModel(w.view("vision_tower.vision_model."), config.vision);
    this.projector = new Gemma3MultiModalProjector(w.view("multi_modal_projector."), config, textHidden);
  }

  /**
   * The tower of a folder's weights and parsed config.json. A text-only checkpoint (no vision_config, or no
   * vision weights) fails with ERR_AIPROD_UNSUPPORTED / ERR_AIPROD_MISSING_WEIGHT naming what is missing.
   */
  static fromCheckpoint(files: WeightSource, configJson: unknown, textHidden: number): Gemma3VisionTower {
    const config = parseGemma3VisionConfig(configJson);
    const prefix = visionPrefix(files);
    if (prefix === undefined) {
      throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT",
        `aiprod.gemma3.vision: ${files.name} has no tensor '${PROBE}' (nor 'model.${PROBE}'): the checkpoint holds only the language model (a text-only Gemma 3); image input needs the multimodal checkpoint's vision tower`);
    }
    return new Gemma3VisionTower(prefix ? files.view(prefix) : files, config, textHidden);
  }

  /** Pixels f32 [B, 3, image, image] (see preprocessGemma3Image) → image features f32 [B, mm_tokens_per_image, D_text]. */
  forward(pixels: Tensor): Tensor {
    const { imageSize } = this.config.vision;
    const s = pixels.shape;
    if (s.length !== 4 || s[1] !== 3 || s[2] !== imageSize || s[3] !== imageSize) {
      throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.gemma3.vision: pixels must be [B, 3, ${imageSize}, ${imageSize}], got [${s.join(",")}]`);
    }
    using v = this.visionModel.forward(pixels);
    return this.projector.forward(v);
  }

  /** Frees the tower's tensors (weight views and their f32 copies). */
  dispose(): void {
    disposeAll(this.visionModel);
    disposeAll(this.projector);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
