// Public API of the aiprod library.
export { AiprodError } from "./native/errors.js";
export type { DType } from "./runtime/dtype.js";
export { DTYPES, dtypeSize } from "./runtime/dtype.js";
export { Tensor } from "./runtime/tensor.js";
export type { Device, Shape } from "./runtime/tensor.js";
export { add, cast, mul } from "./runtime/ops.js";
export { cudaInfo, getInfo, setIsa } from "./runtime/info.js";
export type { CudaInfo, CudaState, EngineInfo } from "./runtime/info.js";
export { addMul, adaLN, groupNorm, layerNorm, pixelNorm, rmsNorm } from "./runtime/norm.js";
export { geluErf, geluTanh, leakyRelu, lerp, mean, silu, softmax, std } from "./runtime/activation.js";
export { ropeInterleaved, ropeSplit } from "./runtime/rope.js";
export { depthToSpace3d, patchify, pixelShuffle2d, spaceToDepth3d, unpatchify } from "./runtime/layout.js";
export type { Factors3 } from "./runtime/layout.js";
