// Generation API: engine, pipelines, stages and the tiny built-in model set.
export { createEngine, Engine } from "./engine.js";
export type { EngineDevice, GenerateOptions } from "./engine.js";
export { AbortedError } from "./context.js";
export { DEFAULT_NEGATIVE_PROMPT } from "./defaults.js";
export { inspectModels, modelHashes, sha256Of } from "./modelFiles.js";
export type { LoraInfo, ModelInfo } from "./modelFiles.js";
export { resolveParams } from "./validate.js";
export { ensureTinyModels, tinyModelFiles, tinyModelsDir, writeTinyModels } from "./tinyModels.js";
export { PIPELINES } from "./types.js";
export type { GenerateParams, GenerateResult, ImageInput, LoraInput, ModelFiles, PipelineName, Progress, ReferenceVideoInput, ResolvedParams, StageReport } from "./types.js";
export { hostMemoryDevice } from "./memory/device.js";
export type { MemoryDevice } from "./memory/device.js";
export { modelFacts } from "./memory/modelFacts.js";
export type { ModelFacts } from "./memory/modelFacts.js";
export { planGeneration, tilingCandidates } from "./memory/planGeneration.js";
export type { MemoryPlan, MemoryVerdict, PlannedStage, PlanOptions } from "./memory/planGeneration.js";
export { MEMORY_CONSTANTS } from "./memory/stageMemory.js";
export type { StageMemory } from "./memory/stageMemory.js";
