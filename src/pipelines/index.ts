// Generation API: engine, pipelines, stages and the tiny built-in model set.
export { createEngine, Engine } from "./engine.js";
export type { EngineDevice, GenerateOptions } from "./engine.js";
export { AbortedError } from "./context.js";
export { DEFAULT_NEGATIVE_PROMPT, DEFAULT_PIPELINE, generationDefaults, MIN_FRAMES } from "./defaults.js";
export { inspectModels, modelHashes, sha256Of } from "./modelFiles.js";
export type { LoraInfo, ModelInfo } from "./modelFiles.js";
export { resolveParams } from "./validate.js";
export { calibrate, cpuDeviceClass, estimateSeconds, loadProfiles, saveProfile } from "./calibrate.js";
export type { DeviceProfile, StageRate } from "./calibrate.js";
export { planWork, totalWork } from "./workPlan.js";
export type { WorkPlan } from "./workPlan.js";
export { ensureTinyModels, tinyModelFiles, tinyModelsDir, writeTinyModels } from "./tinyModels.js";
export { PIPELINES, TWO_STAGE } from "./types.js";
export type { GenerateParams, GenerateResult, ImageInput, LoraInput, ModelFiles, PipelineName, Progress, ReferenceVideoInput, ResolvedParams, StageReport } from "./types.js";
