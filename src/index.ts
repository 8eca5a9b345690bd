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
