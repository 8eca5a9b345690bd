// Public API of the aiprod library.
export { AiprodError } from "./native/errors.js";
export type { DType } from "./runtime/dtype.js";
export { DTYPES, dtypeSize } from "./runtime/dtype.js";
export { Tensor } from "./runtime/tensor.js";
export type { Device, Shape } from "./runtime/tensor.js";
export { add, cast, mul } from "./runtime/ops.js";
export { linear, matmul } from "./runtime/linear.js";
export type { LinearOptions } from "./runtime/linear.js";
export { attention } from "./runtime/attention.js";
export type { AttentionOptions } from "./runtime/attention.js";
export { conv1d, conv2d, conv3d, convTranspose1d } from "./runtime/conv.js";
export type { Conv3dOptions, ConvOptions, ConvTranspose1dOptions, PadMode } from "./runtime/conv.js";
export { cudaInfo, getInfo, setIsa } from "./runtime/info.js";
export type { CudaInfo, CudaState, EngineInfo } from "./runtime/info.js";
export { addMul, adaLN, groupNorm, layerNorm, pixelNorm, rmsNorm } from "./runtime/norm.js";
export { geluErf, geluTanh, leakyRelu, lerp, mean, silu, softmax, std } from "./runtime/activation.js";
export { ropeInterleaved, ropeSplit } from "./runtime/rope.js";
export { depthToSpace3d, patchify, pixelShuffle2d, spaceToDepth3d, unpatchify } from "./runtime/layout.js";
export type { Factors3 } from "./runtime/layout.js";
export { measureFmaPeak } from "./runtime/bench.js";
export type { FmaPeak, FmaPeakKind, FmaPeakOptions } from "./runtime/bench.js";
export { addBroadcast, affine, concat, divBroadcast, maximum, minimum, mulBroadcast, narrow, permute, reshape, subBroadcast, transpose } from "./runtime/shape.js";
// LTX-2 sampling math (schedulers, diffusion steps, guider, noise, denoise mask).
export {
  DISTILLED_SIGMA_VALUES, STAGE_2_DISTILLED_SIGMA_VALUES, TDP_DISTILLED_SIGMA_VALUES, ltx2Sigmas, sigmasFromValues,
  eulerAncestralStep, eulerStep, toDenoised, toVelocity, MultiModalGuider, NO_GUIDANCE as NO_GUIDANCE_PARAMS,
  detectParams, LTX_2_PARAMS, LTX_2_3_PARAMS, LTX_2_3_HQ_PARAMS, LTX_2_4_PARAMS, parseModelVersion,
  drawNoise, GaussianGenerator, gaussianNoiser, postProcessLatent, timestepsFromMask,
} from "./models/ltx2/components/index.js";
export type {
  EulerAncestralOptions, GuiderParams, Ltx2SigmasOptions, NoiseSource, PipelineParams, StorageDType,
} from "./models/ltx2/components/index.js";
// Gemma 3 text encoder (language model, tokenizer, prompt encoding with cache, generation, prompt enhancement).
// Generic names from the module get a Gemma prefix here so later models can export their own.
export {
  DEFAULT_ENHANCE_SAMPLING, enhancePrompt as gemmaEnhancePrompt, filteredDistribution, Gemma3TextModel, GemmaTextEncoder, GemmaTokenizer,
  gemmaChatPrompt, generate as gemmaGenerate, KVCache as GemmaKVCache, LANGUAGE_MODEL_PREFIXES as GEMMA_LANGUAGE_MODEL_PREFIXES,
  packagedGemma3TokenizerDir, parseGemma3Config, PromptEncoder as GemmaPromptEncoder, pythonStrip, SeededUniform, ShardedWeights,
  T2V_SYSTEM_PROMPT as GEMMA_T2V_SYSTEM_PROMPT, tinyTextConfig as tinyGemmaTextConfig, tinyTokenizerFiles as tinyGemmaTokenizerFiles,
  TOKENIZER_MAX_LENGTH as GEMMA_TOKENIZER_MAX_LENGTH, TokenSampler, writeTinyGemma,
} from "./models/gemma3/index.js";
export type {
  EncoderTokens, EnhanceOptions as GemmaEnhanceOptions, ForwardOptions as GemmaForwardOptions, ForwardResult as GemmaForwardResult,
  Gemma3Config, GenerateOptions as GemmaGenerateOptions, LayerType as GemmaLayerType, PromptEncoderOptions, PromptEncoding, Sampling,
  TinyGemmaOptions, TinyLayout as TinyGemmaLayout,
} from "./models/gemma3/index.js";
