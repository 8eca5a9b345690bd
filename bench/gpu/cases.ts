// The cases of `npm run bench:gpu` (the shapes of the CUDA issue), as cuda/bench/kernel_bench.cc and
// bench/gpu/torch_peer.py name them.
export const GPU_CASES = [
  "attention_bf16_h32_n16384_d128",
  "attention_bf16_h32_n16384_d64",
  "conv3d_bf16_k3_c512_9x64x64",
  "gemm_bf16_8192",
] as const;
