// Public API of the aiprod library.
export { AiprodError } from "./native/errors.js";
export type { DType } from "./runtime/dtype.js";
export { DTYPES, dtypeSize } from "./runtime/dtype.js";
export { Tensor } from "./runtime/tensor.js";
export type { Device, Shape } from "./runtime/tensor.js";
export { add, cast, mul } from "./runtime/ops.js";
export { cudaInfo, getInfo, setIsa } from "./runtime/info.js";
export type { CudaInfo, CudaState, EngineInfo } from "./runtime/info.js";
export { measureFmaPeak } from "./runtime/bench.js";
export type { FmaPeak, FmaPeakKind, FmaPeakOptions } from "./runtime/bench.js";
