// The f32 SIMT GEMM behind linear (f32 weights) and matmul (f32): f32 products and f32 accumulation, one
// accumulator per output summed in k order (the CPU reference's order; only FMA contraction differs).
// 64 x 64 block tiles, BK = 16, 256 threads with 4 x 4 outputs each (rows ty + 16i, columns tx + 16j, so the
// shared-memory reads are broadcasts or conflict-free). Two shared stages: the next slice is loaded into
// registers before the current slice's math and stored into the other stage after it. A is read along k
// (coalesced), stored transposed ([BK][BM]); B likewise from [N,K] or straight from [K,N].
#ifndef AIPROD_CUDA_GEMM_SIMT_H
#define AIPROD_CUDA_GEMM_SIMT_H

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "gemm_common.h"

namespace aiprod_cuda {
namespace gemm {

constexpr int kSimtBM = 64, kSimtBN = 64, kSimtBK = 16, kSimtThreads = 256;

template <bool B_KN>
__global__ void __launch_bounds__(kSimtThreads) gemm_simt_kernel(Operands op, Epilogue ep) {
  constexpr int BM = kSimtBM, BN = kSimtBN, BK = kSimtBK, NT = kSimtThreads;
  constexpr int PER_A = BM * BK / NT, PER_B = BN * BK / NT;  // 4 each
  __shared__ float As[2][BK][BM + 4];
  __shared__ float Bs[2][BK][BN + 4];
  const int tid = int(threadIdx.x), tx = tid & 15, ty = tid >> 4;
  const size_t m0 = size_t(blockIdx.y) * BM, n0 = size_t(blockIdx.x) * BN;
  const size_t M = op.m, N = op.n, K = op.k;
  const int KT = int((K + BK - 1) / BK);

  for (size_t z = blockIdx.z; z < op.batch; z += gridDim.z) {
    const void* a = static_cast<const char*>(op.a) + z * op.stride_a * (op.a_dtype == AIPROD_CUDA_F32 ? 4 : 2);
    const float* b = static_cast<const float*>(op.b) + z * op.stride_b;
    float ra[PER_A], rb[PER_B];
    auto load = [&](int kt) {
      const size_t k0 = size_t(kt) * BK;
      AIPROD_GEMM_UNROLL
      for (int i = 0; i < PER_A; ++i) {
        const int e = tid + i * NT, r = e / BK, c = e % BK;
        ra[i] = (m0 + r < M && k0 + c < K) ? load_as_f32(a, op.a_dtype, (m0 + r) * K + k0 + c) : 0.f;
      }
      AIPROD_GEMM_UNROLL
      for (int i = 0; i < PER_B; ++i) {
        const int e = tid + i * NT;
        if constexpr (B_KN) {
          const int r = e / BN, c = e % BN;  // r: k, c: n
          rb[i] = (k0 + r < K && n0 + c < N) ? b[(k0 + r) * N + n0 + c] : 0.f;
        } else {
          const int r = e / BK, c = e % BK;  // r: n, c: k
          rb[i] = (n0 + r < N && k0 + c < K) ? b[(n0 + r) * K + k0 + c] : 0.f;
        }
      }
    };
    auto store = [&](int s) {
      AIPROD_GEMM_UNROLL
      for (int i = 0; i < PER_A; ++i) {
        const int e = tid + i * NT;
        As[s][e % BK][e / BK] = ra[i];
      }
      AIPROD_GEMM_UNROLL
      for (int i = 0; i < PER_B; ++i) {
        const int e = tid + i * NT;
        if constexpr (B_KN) {
          Bs[s][e / BN][e % BN] = rb[i];
        } else {
          Bs[s][e % BK][e / BK] = rb[i];
        }
      }
    };

    float acc[4][4];
    AIPROD_GEMM_UNROLL
    for (int i = 0; i < 4; ++i)
      AIPROD_GEMM_UNROLL
      for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
    if (KT > 0) {
      load(0);
      store(0);
    }
    for (int kt = 0; kt < KT; ++kt) {
      __syncthreads();  // stage kt&1 written by all; stage (kt+1)&1 (slice kt-1) read by all
      if (kt + 1 < KT) load(kt + 1);
      const int s = kt & 1;
      AIPROD_GEMM_UNROLL
      for (int kk = 0; kk < BK; ++kk) {
        float av[4], bv[4];
        AIPROD_GEMM_UNROLL
        for (int i = 0; i < 4; ++i) av[i] = As[s][kk][ty + 16 * i];
        AIPROD_GEMM_UNROLL
        for (int j = 0; j < 4; ++j) bv[j] = Bs[s][kk][tx + 16 * j];
        AIPROD_GEMM_UNROLL
        for (int i = 0; i < 4; ++i)
          AIPROD_GEMM_UNROLL
          for (int j = 0; j < 4; ++j) acc[i][j] += av[i] * bv[j];
      }
      if (kt + 1 < KT) store((kt + 1) & 1);
    }
    // Epilogue in four bands of 16 rows (thread rows ty + 16i) through shared memory (stage storage, free
    // after the barrier), so each warp applies it to 32 consecutive columns of one row (coalesced).
    static_assert(16 * BN <= 2 * BK * (BM + 4), "a band of 16 x BN floats fits in As");
    float* ebuf = &As[0][0][0];
    AIPROD_GEMM_UNROLL
    for (int i = 0; i < 4; ++i) {
      __syncthreads();  // i == 0: the stages are read by no one any more; else: band i-1 is written out
      AIPROD_GEMM_UNROLL
      for (int j = 0; j < 4; ++j) ebuf[ty * BN + tx + 16 * j] = acc[i][j];
      __syncthreads();
      for (int idx = tid; idx < 16 * BN; idx += NT) {
        const size_t row = m0 + size_t(idx / BN + 16 * i), col = n0 + size_t(idx % BN);  // ebuf row = ty
        if (row < M && col < N) epilogue_store(ep, N, z, row, col, ebuf[idx]);
      }
    }
    __syncthreads();  // the next batch item overwrites the stages
  }
}

}  // namespace gemm
}  // namespace aiprod_cuda

#endif
