// Conditioning items (upstream ltx_core/conditioning): replacement, appended keyframes, IC-LoRA references with
// attention strength, and the latent state they act on.
export { appendTokens, audioLatentFromTokens, audioTokens, clearConditioning, concatPositions, createInitialState, growAttention, tokensTensor, videoLatentFromTokens, videoTokens } from "./latentState.js";
export type { LatentState } from "./latentState.js";
export { VideoConditionByLatentIndex } from "./latentIndex.js";
export type { LatentGrid } from "./latentIndex.js";
export { keyframePositions, VideoConditionByKeyframeIndex } from "./keyframeIndex.js";
export { downsampleMaskToLatent, grayMask } from "./attentionMask.js";
export type { MaskVideo } from "./attentionMask.js";
export { attentionBias, VideoConditionByReferenceLatent, withAttentionStrength } from "./referenceLatent.js";
