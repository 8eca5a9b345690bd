// LTX-2 sampling math: schedules, sampler steps, guidance, noise and denoise-mask helpers.
export { BASE_SHIFT_ANCHOR, DISTILLED_SIGMA_VALUES, ltx2Sigmas, MAX_SHIFT_ANCHOR, MAX_STEPS, sigmasFromValues, STAGE_2_DISTILLED_SIGMA_VALUES, TDP_DISTILLED_SIGMA_VALUES } from "./schedulers.js";
export type { Ltx2SigmasOptions } from "./schedulers.js";
export { eulerAncestralStep, eulerStep, toDenoised, toVelocity } from "./diffusionSteps.js";
export type { EulerAncestralOptions, NoiseSource } from "./diffusionSteps.js";
export { MultiModalGuider, NO_GUIDANCE } from "./guiders.js";
export type { GuiderParams } from "./guiders.js";
export { detectParams, LTX_2_3_HQ_PARAMS, LTX_2_3_PARAMS, LTX_2_4_PARAMS, LTX_2_PARAMS, parseModelVersion } from "./pipelineParams.js";
export type { PipelineParams } from "./pipelineParams.js";
export { drawNoise, GaussianGenerator, gaussianNoiser } from "./noisers.js";
export { postProcessLatent, timestepsFromMask } from "./denoiseMask.js";
export { roundBf16 } from "./precision.js";
export type { StorageDType } from "./precision.js";
