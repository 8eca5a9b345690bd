// Gemma 3's vision side of config.json: the SigLIP tower (`vision_config`, HF SiglipVisionConfig) and the
// multimodal fields of Gemma3Config (mm_tokens_per_image and the image token ids). Defaults are the 12B
// release's; every value is validated so a malformed folder fails at load with the field named.
import { AiprodError } from "../../../native/errors.js";

export interface SiglipVisionConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** hiddenSize / numHeads. */
  headDim: number;
  patchSize: number;
  imageSize: number;
  numChannels: number;
  layerNormEps: number;
  /** (imageSize / patchSize)^2. */
  numPatches: number;
}

export interface Gemma3VisionConfig {
  vision: SiglipVisionConfig;
  /** Image tokens per image after the projector's average pooling (256 in the release). */
  mmTokensPerImage: number;
  /** `<image_soft_token>` (262144 in the release). */
  imageTokenId: number;
  /** `<start_of_image>` (255999). */
  boiTokenId: number;
  /** `<end_of_image>` (256000). */
  eoiTokenId: number;
}

function bad(field: string, why: string): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.gemma3.vision: config field '${field}' ${why}`);
}

function int(c: Record<string, unknown>, key: string, fallback: number, prefix = "vision_config."): number {
  const v = c[key] ?? fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) throw bad(prefix + key, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function id(c: Record<string, unknown>, keys: string[], fallback: number): number {
  const v = keys.map((k) => c[k]).find((x) => x !== undefined && x !== null) ?? fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw bad(keys[0]!, `must be a token id, got ${JSON.stringify(v)}`);
  return v;
}

/** Whether a parsed config.json describes a multimodal checkpoint (it has a `vision_config`). */
export function hasVisionConfig(json: unknown): boolean {
  return typeof json === "object" && json !== null && typeof (json as Record<string, unknown>).vision_config === "object"
    && (json as Record<string, unknown>).vision_config !== null;
}

/** The vision config of a parsed (multimodal) config.json; throws ERR_AIPROD_UNSUPPORTED without `vision_config`. */
export function parseGemma3VisionConfig(json: unknown): Gemma3VisionConfig {
  if (!hasVisionConfig(json)) {
    throw new AiprodError("ERR_AIPROD_UNSUPPORTED",
      "aiprod.gemma3.vision: config.json has no vision_config: this is a text-only Gemma 3 checkpoint; image input needs the multimodal (Gemma3ForConditionalGeneration) folder");
  }
  const root = json as Record<string, unknown>;
  const c = root.vision_config as Record<string, unknown>;
  if (c.model_type !== undefined && c.model_type !== "siglip_vision_model") throw bad("vision_config.model_type", `is ${JSON.stringify(c.model_type)}; expected "siglip_vision_model"`);
  const act = c.hidden_act ?? "gelu_pytorch_tanh";
  if (act !== "gelu_pytorch_tanh") throw bad("vision_config.hidden_act", `is ${JSON.stringify(act)}; Gemma 3's SigLIP uses "gelu_pytorch_tanh"`);
  const hiddenSize = int(c, "hidden_size", 1152);
  const numHeads = int(c, "num_attention_heads", 16);
  if (hiddenSize % numHeads !== 0) throw bad("vision_config.num_attention_heads", `(${numHeads}) must divide hidden_size (${hiddenSize})`);
  const patchSize = int(c, "patch_size", 14);
  const imageSize = int(c, "image_size", 896);
  if (imageSize % patchSize !== 0) throw bad("vision_config.patch_size", `(${patchSize}) must divide image_size (${imageSize})`);
  const numChannels = int(c, "num_channels", 3);
  if (numChannels !== 3) throw bad("vision_config.num_channels", `is ${numChannels}; only RGB (3) is supported`);
  const eps = c.layer_norm_eps ?? 1e-6;
  if (typeof eps !== "number" || !(eps > 0)) throw bad("vision_config.layer_norm_eps", `must be a positive number, got ${JSON.stringify(eps)}`);
  const side = imageSize / patchSize;
  const mmTokensPerImage = int(root, "mm_tokens_per_image", 256, "");
  const tokensSide = Math.round(Math.sqrt(mmTokensPerImage));
  if (tokensSide * tokensSide !== mmTokensPerImage || side % tokensSide !== 0) {
    throw bad("mm_tokens_per_image", `(${mmTokensPerImage}) must be a square whose side divides image_size / patch_size (${side})`);
  }
  return {
    vision: {
      hiddenSize, intermediateSize: int(c, "intermediate_size", 4304), numLayers: int(c, "num_hidden_layers", 27), numHeads,
      headDim: hiddenSize / numHeads, patchSize, imageSize, numChannels, layerNormEps: eps, numPatches: side * side,
    },
    mmTokensPerImage,
    imageTokenId: id(root, ["image_token_index", "image_token_id"], 262144),
    boiTokenId: id(root, ["boi_token_index", "boi_token_id"], 255999),
    eoiTokenId: id(root, ["eoi_token_index", "eoi_token_id"], 256000),
  };
}
