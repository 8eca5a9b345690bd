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
export { cudaAvailable, cudaMemoryStats, cudaResetPeak, cudaTrim, getDefaultDevice, setDefaultDevice, withDevice } from "./runtime/device.js";
export type { NativeCudaMemoryStats as CudaMemoryStats } from "./native/bindingTypes.js";
export { addMul, adaLN, groupNorm, layerNorm, normAdaLN, pixelNorm, rmsNorm } from "./runtime/norm.js";
export { geluErf, geluTanh, leakyRelu, lerp, mean, sigmoid, silu, softmax, std, tanh } from "./runtime/activation.js";
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
// Checkpoints and the LTX-2 model core.
export { MAX_HEADER_BYTES, SafetensorsFile } from "./checkpoint/safetensors.js";
export type { TensorInfo, WeightSource } from "./checkpoint/safetensors.js";
export { writeSafetensors } from "./checkpoint/safetensorsWriter.js";
export type { TensorEntry } from "./checkpoint/safetensorsWriter.js";
export { parseTransformerConfig } from "./models/ltx2/transformer/config.js";
export type { TransformerConfig } from "./models/ltx2/transformer/config.js";
export { LTXModel, velocityToX0 } from "./models/ltx2/transformer/model.js";
export type { ForwardOptions, ModalityInput } from "./models/ltx2/transformer/model.js";
export { audioPositions, videoPositions } from "./models/ltx2/transformer/positions.js";
export { loadLtx2TextSide, loadLtx2Transformer, randomLtx2Transformer } from "./models/ltx2/loadTransformer.js";
export type { Ltx2TextSide } from "./models/ltx2/loadTransformer.js";
export { LoraFusedSource } from "./models/ltx2/loraFusion.js";
export type { LoraSpec } from "./models/ltx2/loraFusion.js";
export { TINY_TRANSFORMER_CONFIG, writeTinyLtx2Checkpoint } from "./models/ltx2/checkpoint/tinyCheckpoint.js";
export { RandomWeightSource } from "./models/ltx2/checkpoint/randomWeights.js";
// LTX-2 audio: audio VAE, HiFi-GAN vocoder, mel front end, tiny checkpoints; WAV and AAC muxing.
export { AudioDecoder, AudioEncoder } from "./models/ltx2/audio/audioVae.js";
export { Vocoder } from "./models/ltx2/audio/vocoder.js";
export { AudioProcessor, PerChannelStatistics as AudioPerChannelStatistics } from "./models/ltx2/audio/ops.js";
export type { Waveform } from "./models/ltx2/audio/ops.js";
export { LATENT_DOWNSAMPLE_FACTOR, parseAudioVaeConfig, parseVocoderConfig } from "./models/ltx2/audio/config.js";
export type { AudioVaeConfig, VocoderConfig } from "./models/ltx2/audio/config.js";
export { decodeAudio, decodeAudioForVideo, encodeAudio, loadAudioDecoder, loadAudioEncoder, loadVocoder } from "./models/ltx2/audio/load.js";
export type { AudioCheckpoint } from "./models/ltx2/audio/load.js";
// One audio length for the pipelines and the library: upstream's round(frames/fps · 25), ties to even.
export { audioLatentFrames, fitWaveformToVideo, videoAudioSamples } from "./models/ltx2/audio/duration.js";
export { tinyAudioConfigs, tinyAudioExtra, tinyAudioWeights, writeTinyAudioCheckpoint } from "./models/ltx2/audio/tinyAudio.js";
export type { TinyAudioConfigs, TinyAudioOptions } from "./models/ltx2/audio/tinyAudio.js";
export { decodeWav, encodeWav, writeWav } from "./media/wav.js";
export type { DecodedWav, PcmAudio } from "./media/wav.js";
export { findMediaTool, probeMedia, runMediaTool } from "./media/ffmpeg.js";
export type { MediaTool, ProbedStream } from "./media/ffmpeg.js";
export { muxAudio } from "./media/mux.js";
export type { MuxOptions } from "./media/mux.js";
// Gemma 3 text encoder (language model, tokenizer, prompt encoding with cache, generation, prompt enhancement).
// Generic names from the module get a Gemma prefix here so later models can export their own.
export {
  DEFAULT_ENHANCE_SAMPLING, enhancePrompt as gemmaEnhancePrompt, filteredDistribution, Gemma3TextModel, GemmaTextEncoder, GemmaTokenizer,
  gemmaChatPrompt, generate as gemmaGenerate, KVCache as GemmaKVCache, LANGUAGE_MODEL_PREFIXES as GEMMA_LANGUAGE_MODEL_PREFIXES,
  packagedGemma3TokenizerDir, parseGemma3Config, PromptEncoder as GemmaPromptEncoder, pythonStrip, SeededUniform, ShardedWeights,
  T2V_SYSTEM_PROMPT as GEMMA_T2V_SYSTEM_PROMPT, tinyTextConfig as tinyGemmaTextConfig, tinyTokenizerFiles as tinyGemmaTokenizerFiles,
  TOKENIZER_MAX_LENGTH as GEMMA_TOKENIZER_MAX_LENGTH, TokenSampler, writeTinyGemma,
  Gemma3VisionTower, gemmaImageChatPrompt, gemmaImageEmbeddings, I2V_SYSTEM_PROMPT as GEMMA_I2V_SYSTEM_PROMPT, parseGemma3VisionConfig,
  preprocessGemma3Image, tinyVisionConfig as tinyGemmaVisionConfig, VISION_PREFIXES as GEMMA_VISION_PREFIXES,
} from "./models/gemma3/index.js";
export type {
  EncoderTokens, EnhanceOptions as GemmaEnhanceOptions, ForwardOptions as GemmaForwardOptions, ForwardResult as GemmaForwardResult,
  Gemma3Config, GenerateOptions as GemmaGenerateOptions, LayerType as GemmaLayerType, PromptEncoderOptions, PromptEncoding, Sampling,
  TinyGemmaOptions, TinyLayout as TinyGemmaLayout, DecodedImage as GemmaDecodedImage, Gemma3ImageInput, Gemma3VisionConfig,
  ImageEmbeddings as GemmaImageEmbeddings, SiglipVisionConfig,
} from "./models/gemma3/index.js";
// LTX-2 video VAE, latent upsamplers and tiling (src/models/ltx2/vae, src/models/ltx2/upsampler).
export { VideoEncoder } from "./models/ltx2/vae/videoVae.js";
export { ConvVideoDecoder, DECODE_NOISE_SCALE, DECODE_TIMESTEP } from "./models/ltx2/vae/convVideoDecoder.js";
export type { DecodeOptions, DecodeStats } from "./models/ltx2/vae/convVideoDecoder.js";
export { parseVideoVaeConfig } from "./models/ltx2/vae/config.js";
export type { ScaleFactors, VaeBlock, VideoVaeConfig } from "./models/ltx2/vae/config.js";
export { PerChannelStatistics as VideoPerChannelStatistics } from "./models/ltx2/vae/ops.js";
export { DEFAULT_TILING } from "./models/ltx2/vae/tiling.js";
export type { AxisTiling, TilingConfig } from "./models/ltx2/vae/tiling.js";
export { TINY_VAE_CONFIG, tinyVaeWeights, writeTinyVaeCheckpoint } from "./models/ltx2/vae/tinyVae.js";
export { LatentUpsampler, upsampleVideo } from "./models/ltx2/upsampler/model.js";
export { parseLatentUpsamplerConfig } from "./models/ltx2/upsampler/config.js";
export type { LatentUpsamplerConfig } from "./models/ltx2/upsampler/config.js";
export { TINY_SPATIAL_UPSAMPLER_CONFIG, TINY_TEMPORAL_UPSAMPLER_CONFIG, tinyUpsamplerWeights, writeTinyUpsamplerCheckpoint } from "./models/ltx2/upsampler/tinyUpsampler.js";
// Pipelines (issue 8): engine, the five LTX-2 pipelines, conditioning items, media I/O.
export * from "./pipelines/index.js";
export { attentionBias, keyframePositions, VideoConditionByKeyframeIndex, VideoConditionByLatentIndex, VideoConditionByReferenceLatent, withAttentionStrength } from "./models/ltx2/conditioning/index.js";
export type { LatentGrid, LatentState } from "./models/ltx2/conditioning/index.js";
export { decodeImage, loadConditioningImage, recompressImage } from "./media/image.js";
export { resizeAndCenterCrop } from "./media/resize.js";
export { decodeVideoFrames } from "./media/videoFrames.js";
export { encodeVideo, DEFAULT_CRF as DEFAULT_VIDEO_CRF } from "./media/encodeVideo.js";
export type { EncodeVideoOptions } from "./media/encodeVideo.js";
