// The native addon's whole surface, written down once. Every call into native code goes through these types.

export type NativeDType = "f32" | "bf16" | "f16" | "f8e4m3";
export type NativeIsa = "ref" | "avx2" | "avx512";

/** Raw storage of a dtype as it crosses the boundary: f32 as Float32Array, bf16/f16 bits as Uint16Array, f8 as Uint8Array. */
export type StorageArray = Float32Array | Uint16Array | Uint8Array;

export type NativeDevice = "cpu" | "cuda";

/** native/binding/tensor_wrap.cc */
export interface NativeTensor {
  readonly dtype: NativeDType;
  readonly shape: number[];
  readonly device: NativeDevice;
  readonly nbytes: number;
  readonly disposed: boolean;
  /** Copies in (host to device for a cuda tensor). */
  write(data: StorageArray): void;
  /** A copy (device to host for a cuda tensor). */
  read(): StorageArray;
  dispose(): void;
  /** A copy of a cpu tensor in device memory (needs cudaProbe to have found a device). */
  /** async: on the copy stream (see cudaCopyFence). */
  toDevice(async?: boolean): NativeTensor;
  /** A copy of a cuda tensor in host memory. */
  toHost(): NativeTensor;
}

export interface NativeTensorConstructor {
  new (dtype: NativeDType, shape: readonly number[], zero: boolean): NativeTensor;
}

export interface NativeCpuInfo {
  vendor: string;
  brand: string;
  features: Record<"sse42" | "avx2" | "fma" | "f16c" | "avx512" | "avx512_bf16" | "avx512_vnni", boolean>;
}

/** native/binding/info.cc info() */
export interface NativeInfo {
  version: string;
  isa: NativeIsa;
  isaCompiled: NativeIsa[];
  isaAvailable: NativeIsa[];
  isaUnavailable: Partial<Record<NativeIsa, string>>;
  threads: number;
  cpu: NativeCpuInfo;
}

export interface NativeCudaDevice {
  name: string;
  totalMemory: number;
  freeMemory: number;
  computeCapability: string;
  multiprocessors: number;
  /** The host emulation's device (libaiprod_cuda_emu). */
  emulated: boolean;
}

/** native/binding/info.cc cudaProbe() */
export interface NativeCudaStatus {
  libraryPath: string;
  built: boolean;
  loaded: boolean;
  error?: string;
  runtimeVersion: number;
  driverVersion: number;
  architectures: string;
  /** Comma-separated op kernels compiled into the library (api->kernels). */
  kernels: string;
  /** The library is the host emulation. */
  emulated: boolean;
  devices: NativeCudaDevice[];
}

/** native/binding/cuda_ops_runtime.cc cudaMemoryStats(): the CUDA library's caching allocator, in bytes. */
export interface NativeCudaMemoryStats {
  inUse: number;
  cached: number;
  peak: number;
}

/** native/binding/ops_linear.cc */
export interface NativeLinearOptions {
  bias?: NativeTensor;
  activation?: "none" | "gelu_tanh";
  gate?: NativeTensor;
  residual?: NativeTensor;
  weightScale?: number;
}

/** native/binding/ops_attention.cc */
export interface NativeAttentionOptions {
  scale?: number;
  bias?: NativeTensor;
  causal?: boolean;
  window?: number;
}

/** native/binding/ops_conv.cc */
export type NativePadMode = "zeros" | "reflect" | "replicate";
export interface NativeConvOptions {
  bias?: NativeTensor;
  stride?: number | number[];
  padding?: number | number[];
  padMode?: NativePadMode;
  /** conv3d only */
  temporalPadMode?: NativePadMode;
  /** conv3d only */
  causal?: boolean;
}

export interface NativeConvTransposeOptions {
  bias?: NativeTensor;
  stride?: number;
  padding?: number;
  outputPadding?: number;
  dilation?: number;
}

/** native/binding/ops_bench.cc fmaPeak() options */
export interface NativeFmaPeakOptions {
  /** "f32": 12 independent FMA chains per thread (AVX-512, else AVX2); "bf16": vdpbf16ps (needs AVX512_BF16). */
  kind?: "f32" | "bf16";
  /** Timed seconds after a ~0.2 s warm-up, in (0, 60]; default 1. */
  seconds?: number;
}

/** native/binding/ops_bench.cc fmaPeak() result */
export interface NativeFmaPeak {
  /** GFLOP/s of all threads together (an FMA counts 2, a bf16 dot-product pair 2 per product). */
  gflops: number;
  /** One per CPU in the process's affinity mask. */
  threads: number;
  /** Whether each thread was pinned to its own CPU. */
  pinned: boolean;
  isa: "avx512" | "avx2" | "avx512_bf16";
  /** The loops' results, summed: the work is observably used. */
  checksum: number;
}

/** native/binding/ops_shape.cc mapFile(): one tensor viewing bytes [offset, offset + size) of the file. */
export interface NativeFileView {
  offset: number;
  dtype: NativeDType;
  shape: readonly number[];
}

export type NativeBroadcastOp = "add" | "sub" | "mul" | "div" | "max" | "min";

export interface NativeBinding {
  NativeTensor: NativeTensorConstructor;
  add(a: NativeTensor, b: NativeTensor): NativeTensor;
  mul(a: NativeTensor, b: NativeTensor): NativeTensor;
  cast(a: NativeTensor, dtype: NativeDType): NativeTensor;
  // native/binding/ops_linear.cc, ops_attention.cc, ops_conv.cc
  linear(x: NativeTensor, weight: NativeTensor, opts?: NativeLinearOptions): NativeTensor;
  matmul(a: NativeTensor, b: NativeTensor, opts?: { transposeB?: boolean }): NativeTensor;
  attention(q: NativeTensor, k: NativeTensor, v: NativeTensor, opts?: NativeAttentionOptions): NativeTensor;
  conv3d(x: NativeTensor, weight: NativeTensor, opts?: NativeConvOptions): NativeTensor;
  conv2d(x: NativeTensor, weight: NativeTensor, opts?: NativeConvOptions): NativeTensor;
  conv1d(x: NativeTensor, weight: NativeTensor, opts?: NativeConvOptions): NativeTensor;
  convTranspose1d(x: NativeTensor, weight: NativeTensor, opts?: NativeConvTransposeOptions): NativeTensor;
  // native/binding/ops_norm.cc (weight/bias may be null; numbers are already defaulted by src/runtime)
  rmsNorm(x: NativeTensor, weight: NativeTensor | null, eps: number): NativeTensor;
  layerNorm(x: NativeTensor, eps: number): NativeTensor;
  pixelNorm(x: NativeTensor, eps: number, dim: number): NativeTensor;
  groupNorm(x: NativeTensor, groups: number, weight: NativeTensor | null, bias: NativeTensor | null, eps: number): NativeTensor;
  adaLN(x: NativeTensor, scale: NativeTensor, shift: NativeTensor): NativeTensor;
  addMul(residual: NativeTensor, x: NativeTensor, g: NativeTensor): NativeTensor;
  // native/binding/ops_activation.cc
  geluTanh(x: NativeTensor): NativeTensor;
  geluErf(x: NativeTensor): NativeTensor;
  silu(x: NativeTensor): NativeTensor;
  sigmoid(x: NativeTensor): NativeTensor;
  tanh(x: NativeTensor): NativeTensor;
  leakyRelu(x: NativeTensor, slope: number): NativeTensor;
  lerp(a: NativeTensor, b: NativeTensor, t: number): NativeTensor;
  softmax(x: NativeTensor): NativeTensor;
  mean(x: NativeTensor): NativeTensor;
  std(x: NativeTensor, unbiased: boolean): NativeTensor;
  // native/binding/ops_rope.cc
  ropeSplit(x: NativeTensor, cos: NativeTensor, sin: NativeTensor): NativeTensor;
  ropeInterleaved(x: NativeTensor, cos: NativeTensor, sin: NativeTensor): NativeTensor;
  // native/binding/ops_layout.cc
  spaceToDepth3d(x: NativeTensor, p1: number, p2: number, p3: number): NativeTensor;
  depthToSpace3d(x: NativeTensor, p1: number, p2: number, p3: number): NativeTensor;
  pixelShuffle2d(x: NativeTensor, r: number): NativeTensor;
  patchify(x: NativeTensor, p: number, pt: number): NativeTensor;
  unpatchify(x: NativeTensor, p: number, pt: number): NativeTensor;
  // native/binding/ops_shape.cc
  mapFile(path: string, views: readonly NativeFileView[]): NativeTensor[];
  reshape(x: NativeTensor, shape: readonly number[]): NativeTensor;
  narrow(x: NativeTensor, dim: number, start: number, length: number): NativeTensor;
  permute(x: NativeTensor, perm: readonly number[]): NativeTensor;
  concat(xs: readonly NativeTensor[], dim: number): NativeTensor;
  binary(op: NativeBroadcastOp, a: NativeTensor, b: NativeTensor): NativeTensor;
  affine(x: NativeTensor, alpha: number, beta: number): NativeTensor;
  info(): NativeInfo;
  setIsa(isa: NativeIsa): void;
  cudaProbe(libraryPath: string): NativeCudaStatus;
  // native/binding/cuda_ops_*.cc: the same ops on cuda tensors (same arguments, same checks and messages).
  cudaMemoryStats(): NativeCudaMemoryStats;
  cudaTrim(): void;
  cudaResetPeak(): void;
  /** The default stream waits for the uploads issued on the copy stream so far (native/binding/cuda_ops_runtime.cc). */
  cudaCopyFence(): void;
  /** A new cuda tensor in fresh device memory (zeroed when zero is true). */
  cudaEmpty(dtype: NativeDType, shape: readonly number[], zero: boolean): NativeTensor;
  cudaAdd: NativeBinding["add"];
  cudaMul: NativeBinding["mul"];
  cudaCast: NativeBinding["cast"];
  cudaLinear: NativeBinding["linear"];
  cudaMatmul: NativeBinding["matmul"];
  cudaAttention: NativeBinding["attention"];
  cudaConv3d: NativeBinding["conv3d"];
  cudaConv2d: NativeBinding["conv2d"];
  cudaConv1d: NativeBinding["conv1d"];
  cudaConvTranspose1d: NativeBinding["convTranspose1d"];
  cudaRmsNorm: NativeBinding["rmsNorm"];
  cudaLayerNorm: NativeBinding["layerNorm"];
  cudaPixelNorm: NativeBinding["pixelNorm"];
  cudaGroupNorm: NativeBinding["groupNorm"];
  cudaAdaLN: NativeBinding["adaLN"];
  /** native/binding/cuda_ops_pointwise.cc: layer/rms norm and adaLN fused (cuda only). */
  cudaNormAdaLN(x: NativeTensor, scale: NativeTensor, shift: NativeTensor, rms: boolean, eps: number, weight?: NativeTensor): NativeTensor;
  cudaAddMul: NativeBinding["addMul"];
  cudaGeluTanh: NativeBinding["geluTanh"];
  cudaGeluErf: NativeBinding["geluErf"];
  cudaSilu: NativeBinding["silu"];
  /** No CUDA kernel: always ERR_AIPROD_UNSUPPORTED (after the argument checks). */
  cudaSigmoid: NativeBinding["sigmoid"];
  /** No CUDA kernel: always ERR_AIPROD_UNSUPPORTED (after the argument checks). */
  cudaTanh: NativeBinding["tanh"];
  cudaLeakyRelu: NativeBinding["leakyRelu"];
  cudaLerp: NativeBinding["lerp"];
  cudaSoftmax: NativeBinding["softmax"];
  cudaMean: NativeBinding["mean"];
  cudaStd: NativeBinding["std"];
  cudaRopeSplit: NativeBinding["ropeSplit"];
  cudaRopeInterleaved: NativeBinding["ropeInterleaved"];
  cudaSpaceToDepth3d: NativeBinding["spaceToDepth3d"];
  cudaDepthToSpace3d: NativeBinding["depthToSpace3d"];
  cudaPixelShuffle2d: NativeBinding["pixelShuffle2d"];
  cudaPatchify: NativeBinding["patchify"];
  cudaUnpatchify: NativeBinding["unpatchify"];
  cudaNarrow: NativeBinding["narrow"];
  cudaPermute: NativeBinding["permute"];
  cudaConcat: NativeBinding["concat"];
  cudaBinary: NativeBinding["binary"];
  cudaAffine: NativeBinding["affine"];
  fmaPeak(options?: NativeFmaPeakOptions): NativeFmaPeak;
}
