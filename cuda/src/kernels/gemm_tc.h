// The tensor-core GEMM (bf16 x bf16 products, f32 accumulation) behind linear (bf16/f8 weights) and matmul
// (bf16): a BM x BN block tile stepping through K in BK = 32 slices, a STAGES-deep ring of shared-memory
// stages, warps of WM x WN sub-tiles fed by ldmatrix and mma.sync.m16n8k16, and the fused epilogue straight
// from the accumulator registers.
//
// Loading, per operand:
//   - bf16 in global memory, K (and N for a [K,N] B) a multiple of 8 and 16-byte aligned rows: cp.async 16 B
//     straight into the stage (out-of-range chunks zero-filled with src_bytes = 0);
//   - f32 activations (rounded to bf16) or f8 weights (decoded, scaled, rounded to bf16), aligned: vector
//     loads into registers issued before the current stage's math and converted + stored into the next free
//     stage after it, so their latency hides behind the mma's;
//   - anything else (K % 8 != 0, unaligned pointers): per-element bounds-checked loads with the conversion,
//     through the same register path (zero-fill for every element past M, N or K).
//
// Shared memory: A as [BM][BK+8] bf16, B as [BN][BK+8] ([N,K] operands) or [BK][BN+8] ([K,N]; read with
// ldmatrix.trans); rows padded by 16 bytes so the 8 row addresses of an ldmatrix hit distinct banks.
#ifndef AIPROD_CUDA_GEMM_TC_H
#define AIPROD_CUDA_GEMM_TC_H

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "aiprod_cuda/ptx.h"
#include "gemm_common.h"

namespace aiprod_cuda {
namespace gemm {

constexpr int kTcBK = 32;

template <int BM, int BN, int WARPS_M, int WARPS_N, int STAGES, bool B_KN>
struct TcConfig {
  static constexpr int kThreads = WARPS_M * WARPS_N * 32;
  static constexpr int kWM = BM / WARPS_M, kWN = BN / WARPS_N;
  static constexpr int kMI = kWM / 16, kNI = kWN / 8;
  static constexpr int kALd = kTcBK + 8;                  // A row stride (elements)
  static constexpr int kBLd = B_KN ? BN + 8 : kTcBK + 8;  // B row stride
  static constexpr int kAStage = BM * kALd;
  static constexpr int kBStage = B_KN ? kTcBK * kBLd : BN * kBLd;
  static constexpr size_t kSmemBytes = size_t(STAGES) * (kAStage + kBStage) * sizeof(uint16_t);
  static constexpr int kAChunks = BM * kTcBK / 8;  // 8-element chunks per stage
  static constexpr int kBChunks = BN * kTcBK / 8;
  static_assert(kAChunks % kThreads == 0 && kBChunks % kThreads == 0, "chunks must divide among threads");
  static constexpr int kAPer = kAChunks / kThreads, kBPer = kBChunks / kThreads;
  static_assert(kMI >= 1 && kNI % 2 == 0, "warp tile: 16-row A fragments, pairs of 8-column B fragments");
};

// Row r / column c of the 8-element chunk `ci` of an [R][BK] tile (4 chunks per row), or of a [BK][BN] tile.
AIPROD_DI void chunk_rk(int ci, int* r, int* c) {
  *r = ci >> 2;
  *c = (ci & 3) * 8;
}

// MODE: 0 cp.async bf16; 1 aligned vector loads of f32 (A) or f8 (B) converted in registers; 2 per-element.
template <int MODE>
struct RegChunk;
template <>
struct RegChunk<0> {
  AIPROD_DI void zero() {}
};
template <>
struct RegChunk<1> {
  uint4 raw[2];  // 8 f32 (two 16-byte loads) or 8 f8 (the low 8 bytes of raw[0])
  AIPROD_DI void zero() {}
};
template <>
struct RegChunk<2> {
  uint4 bits;  // 8 bf16, converted at load time
  AIPROD_DI void zero() {}
};

// Converts a raw register chunk to 8 packed bf16 values. is_f8: the 8 bytes in raw[0].x/.y are f8 codes.
AIPROD_DI uint4 convert_chunk(const RegChunk<1>& c, bool is_f8, float scale) {
  uint4 o;
  if (is_f8) {
    const unsigned w[2] = {c.raw[0].x, c.raw[0].y};
    unsigned out[4];
    AIPROD_GEMM_UNROLL
    for (int j = 0; j < 4; ++j) {
      const unsigned word = w[j >> 1], sh = (j & 1) * 16;
      const uint8_t q0 = uint8_t(word >> sh), q1 = uint8_t(word >> (sh + 8));
      out[j] = unsigned(f32_to_bf16(f8e4m3_to_f32(q0) * scale)) | unsigned(f32_to_bf16(f8e4m3_to_f32(q1) * scale)) << 16;
    }
    o.x = out[0], o.y = out[1], o.z = out[2], o.w = out[3];
  } else {
    o.x = pack_bf16x2(__uint_as_float(c.raw[0].x), __uint_as_float(c.raw[0].y));
    o.y = pack_bf16x2(__uint_as_float(c.raw[0].z), __uint_as_float(c.raw[0].w));
    o.z = pack_bf16x2(__uint_as_float(c.raw[1].x), __uint_as_float(c.raw[1].y));
    o.w = pack_bf16x2(__uint_as_float(c.raw[1].z), __uint_as_float(c.raw[1].w));
  }
  return o;
}
AIPROD_DI uint4 convert_chunk(const RegChunk<2>& c, bool, float) { return c.bits; }

// Loads chunk (row, col..col+7) of a row-major matrix with `rows` x `cols` valid elements and row stride ld.
// MODE 0 issues the cp.async into dst; MODES 1/2 fill reg.
template <int MODE>
AIPROD_DI void load_chunk(RegChunk<MODE>& reg, uint16_t* dst, const void* base, int dtype, size_t row, size_t col,
                          size_t rows, size_t cols, size_t ld, float scale) {
  const bool in = row < rows && col < cols;  // MODES 0/1: cols % 8 == 0, so the chunk is all in or all out
  if constexpr (MODE == 0) {
    const uint16_t* src = static_cast<const uint16_t*>(base) + (in ? row * ld + col : 0);
    cp_async_16(dst, src, in ? 16u : 0u);
  } else if constexpr (MODE == 1) {
    if (dtype == AIPROD_CUDA_F8E4M3) {
      const uint2 v = in ? *reinterpret_cast<const uint2*>(static_cast<const uint8_t*>(base) + row * ld + col) : uint2{0, 0};
      reg.raw[0].x = v.x;
      reg.raw[0].y = v.y;
    } else {
      const float4* p = reinterpret_cast<const float4*>(static_cast<const float*>(base) + row * ld + col);
      const float4 z{0.f, 0.f, 0.f, 0.f};
      const float4 v0 = in ? p[0] : z, v1 = in ? p[1] : z;
      reg.raw[0] = uint4{__float_as_uint(v0.x), __float_as_uint(v0.y), __float_as_uint(v0.z), __float_as_uint(v0.w)};
      reg.raw[1] = uint4{__float_as_uint(v1.x), __float_as_uint(v1.y), __float_as_uint(v1.z), __float_as_uint(v1.w)};
    }
  } else {
    unsigned w[4];
    AIPROD_GEMM_UNROLL
    for (int j = 0; j < 4; ++j) {
      uint16_t h[2];
      AIPROD_GEMM_UNROLL
      for (int e = 0; e < 2; ++e) {
        const size_t c = col + size_t(2 * j + e);
        h[e] = (row < rows && c < cols) ? bf16_operand(base, dtype, row * ld + c, scale) : uint16_t(0);
      }
      w[j] = unsigned(h[0]) | unsigned(h[1]) << 16;
    }
    reg.bits = uint4{w[0], w[1], w[2], w[3]};
  }
}

template <int MODE>
AIPROD_DI void store_chunk(const RegChunk<MODE>& reg, uint16_t* dst, bool is_f8, float scale) {
  if constexpr (MODE != 0) *reinterpret_cast<uint4*>(dst) = convert_chunk(reg, is_f8, scale);
}

// A_MODE / B_MODE as for RegChunk. grid: x over N tiles, y over M tiles, z over the batch.
template <int BM, int BN, int WARPS_M, int WARPS_N, int STAGES, bool B_KN, int A_MODE, int B_MODE>
__global__ void __launch_bounds__(WARPS_M* WARPS_N * 32)
    gemm_tc_kernel(Operands op, Epilogue ep) {
  using C = TcConfig<BM, BN, WARPS_M, WARPS_N, STAGES, B_KN>;
  constexpr int BK = kTcBK;
  AIPROD_DYNAMIC_SMEM(uint16_t, smem);
  uint16_t* As = smem;
  uint16_t* Bs = smem + STAGES * C::kAStage;

  const int tid = int(threadIdx.x), lane = tid & 31, warp = tid >> 5;
  const int wm = warp / WARPS_N, wn = warp % WARPS_N;
  // Grouped tile order: consecutive blocks walk 8 M-tiles down a column of N-tiles before moving right, so
  // the weight tiles they share are still in L2.
  const unsigned tiles_n = gridDim.x, tiles_m = gridDim.y, group = 8;
  const unsigned pid = blockIdx.y * tiles_n + blockIdx.x, in_group = pid % (group * tiles_n);
  const unsigned first_m = pid / (group * tiles_n) * group;
  const unsigned group_m = tiles_m - first_m < group ? tiles_m - first_m : group;
  const size_t m0 = size_t(first_m + in_group % group_m) * BM, n0 = size_t(in_group / group_m) * BN;
  const size_t M = op.m, N = op.n, K = op.k;
  const int KT = int((K + BK - 1) / BK);
  const bool b_f8 = op.b_dtype == AIPROD_CUDA_F8E4M3;

  for (size_t z = blockIdx.z; z < op.batch; z += gridDim.z) {
    const void* a = static_cast<const char*>(op.a) + z * op.stride_a * (op.a_dtype == AIPROD_CUDA_F32 ? 4 : 2);
    const void* b = static_cast<const char*>(op.b) + z * op.stride_b * (b_f8 ? 1 : 2);

    RegChunk<A_MODE> areg[C::kAPer];
    RegChunk<B_MODE> breg[C::kBPer];

    // Global -> stage (cp.async) or registers for k-slice kt.
    auto load = [&](int kt, int stage) {
      const size_t k0 = size_t(kt) * BK;
      AIPROD_GEMM_UNROLL
      for (int i = 0; i < C::kAPer; ++i) {
        int r, c;
        chunk_rk(tid + i * C::kThreads, &r, &c);
        load_chunk<A_MODE>(areg[i], As + stage * C::kAStage + r * C::kALd + c, a, op.a_dtype, m0 + r, k0 + c, M, K, K,
                           1.0f);
      }
      AIPROD_GEMM_UNROLL
      for (int i = 0; i < C::kBPer; ++i) {
        const int ci = tid + i * C::kThreads;
        if constexpr (B_KN) {
          const int r = ci / (BN / 8), c = (ci % (BN / 8)) * 8;  // r: k, c: n
          load_chunk<B_MODE>(breg[i], Bs + stage * C::kBStage + r * C::kBLd + c, b, op.b_dtype, k0 + r, n0 + c, K, N,
                             N, op.b_scale);
        } else {
          int r, c;
          chunk_rk(ci, &r, &c);
          load_chunk<B_MODE>(breg[i], Bs + stage * C::kBStage + r * C::kBLd + c, b, op.b_dtype, n0 + r, k0 + c, N, K,
                             K, op.b_scale);
        }
      }
    };
    // Registers -> stage (no-op for cp.async operands).
    auto store = [&](int stage) {
      AIPROD_GEMM_UNROLL
      for (int i = 0; i < C::kAPer; ++i) {
        int r, c;
        chunk_rk(tid + i * C::kThreads, &r, &c);
        store_chunk<A_MODE>(areg[i], As + stage * C::kAStage + r * C::kALd + c, false, 1.0f);
      }
      AIPROD_GEMM_UNROLL
      for (int i = 0; i < C::kBPer; ++i) {
        const int ci = tid + i * C::kThreads;
        int r, c;
        if constexpr (B_KN) {
          r = ci / (BN / 8), c = (ci % (BN / 8)) * 8;
        } else {
          chunk_rk(ci, &r, &c);
        }
        store_chunk<B_MODE>(breg[i], Bs + stage * C::kBStage + r * C::kBLd + c, b_f8, op.b_scale);
      }
    };

    float acc[C::kMI][C::kNI][4];
    AIPROD_GEMM_UNROLL
    for (int i = 0; i < C::kMI; ++i)
      AIPROD_GEMM_UNROLL
      for (int j = 0; j < C::kNI; ++j)
        AIPROD_GEMM_UNROLL
        for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;

    // Prologue: slices 0 .. STAGES-2 in flight (one commit group each, empty past the end).
    AIPROD_GEMM_UNROLL
    for (int s = 0; s < STAGES - 1; ++s) {
      if (s < KT) {
        load(s, s);
        store(s);
      }
      cp_async_commit();
    }

    for (int kt = 0; kt < KT; ++kt) {
      cp_async_wait<STAGES - 2>();  // slice kt's copies have landed (this thread's) ...
      __syncthreads();              // ... everyone's, and everyone is done with slice kt-1's stage
      const int nt = kt + STAGES - 1, ns = nt % STAGES;
      if (nt < KT) load(nt, ns);
      cp_async_commit();

      const uint16_t* as = As + (kt % STAGES) * C::kAStage;
      const uint16_t* bs = Bs + (kt % STAGES) * C::kBStage;
      AIPROD_GEMM_UNROLL
      for (int kk = 0; kk < BK; kk += 16) {
        uint32_t af[C::kMI][4], bf[C::kNI][2];
        AIPROD_GEMM_UNROLL
        for (int i = 0; i < C::kMI; ++i) {
          const int r = wm * C::kWM + i * 16 + (lane & 15), c = kk + (lane >> 4) * 8;
          ldmatrix_x4(af[i], as + r * C::kALd + c);
        }
        AIPROD_GEMM_UNROLL
        for (int j = 0; j < C::kNI / 2; ++j) {
          uint32_t t[4];
          if constexpr (B_KN) {
            const int r = kk + (lane & 7) + ((lane >> 3) & 1) * 8, c = wn * C::kWN + j * 16 + (lane >> 4) * 8;
            ldmatrix_x4_trans(t, bs + r * C::kBLd + c);
          } else {
            const int r = wn * C::kWN + j * 16 + (lane & 7) + (lane >> 4) * 8, c = kk + ((lane >> 3) & 1) * 8;
            ldmatrix_x4(t, bs + r * C::kBLd + c);
          }
          bf[2 * j][0] = t[0], bf[2 * j][1] = t[1], bf[2 * j + 1][0] = t[2], bf[2 * j + 1][1] = t[3];
        }
        AIPROD_GEMM_UNROLL
        for (int i = 0; i < C::kMI; ++i)
          AIPROD_GEMM_UNROLL
          for (int j = 0; j < C::kNI; ++j) mma_bf16_16816(acc[i][j], af[i], bf[j], acc[i][j]);
      }

      if (nt < KT) store(ns);  // stage ns held slice kt-1: free since the barrier above
    }
    cp_async_wait<0>();
    __syncthreads();  // every warp is done with the stages: the epilogue reuses them

    // Epilogue through shared memory, one 16-row fragment band per step: the warp parks its accumulators in
    // its own slice of the (now free) stages, then walks the band row by row, 32 consecutive columns per
    // instruction (coalesced loads of gate/residual and stores of y), applying the epilogue.
    constexpr int ELD = C::kWN + 4;
    static_assert(size_t(C::kThreads / 32) * 16 * ELD * sizeof(float) <= C::kSmemBytes, "epilogue buffer");
    float* ebuf = reinterpret_cast<float*>(smem) + warp * 16 * ELD;
    const int g = lane >> 2, t = lane & 3;
    AIPROD_GEMM_UNROLL
    for (int i = 0; i < C::kMI; ++i) {
      AIPROD_GEMM_UNROLL
      for (int j = 0; j < C::kNI; ++j) {
        AIPROD_GEMM_UNROLL
        for (int e = 0; e < 4; ++e) ebuf[(g + (e >> 1) * 8) * ELD + j * 8 + 2 * t + (e & 1)] = acc[i][j][e];
      }
      __syncwarp();
      const size_t row0 = m0 + size_t(wm * C::kWM + i * 16), col0 = n0 + size_t(wn * C::kWN);
      for (int idx = lane; idx < 16 * C::kWN; idx += 32) {
        const int r = idx / C::kWN, c = idx % C::kWN;
        if (row0 + r < M && col0 + c < N) epilogue_store(ep, N, z, row0 + r, col0 + c, ebuf[r * ELD + c]);
      }
      __syncwarp();
    }
    __syncthreads();  // the next batch item's prologue overwrites ebuf
  }
}

// Launches the tensor-core kernel: 128 x 128 tiles (8 warps of 64 x 32, 3 stages, 60 KiB) when M > 64,
// otherwise 64 x 64 (4 warps of 32 x 32, 4 stages, 40 KiB). `fast`: K (and N for b_kn) multiples of 8 and
// 16-byte aligned operands (cp.async / vector loads); otherwise the per-element path.
template <bool B_KN, int A_MODE, int B_MODE>
inline void launch_tc_modes(const char* name, const Operands& op, const Epilogue& ep, Stream stream) {
  const unsigned gz = unsigned(op.batch < 65535 ? op.batch : 65535);
  if (op.m > 64) {
    using C = TcConfig<128, 128, 2, 4, 3, B_KN>;
    launch(name, gemm_tc_kernel<128, 128, 2, 4, 3, B_KN, A_MODE, B_MODE>, dim3(ceil_div(op.n, 128), ceil_div(op.m, 128), gz),
           dim3(C::kThreads), C::kSmemBytes, stream, op, ep);
  } else {
    using C = TcConfig<64, 64, 2, 2, 4, B_KN>;
    launch(name, gemm_tc_kernel<64, 64, 2, 2, 4, B_KN, A_MODE, B_MODE>, dim3(ceil_div(op.n, 64), ceil_div(op.m, 64), gz),
           dim3(C::kThreads), C::kSmemBytes, stream, op, ep);
  }
}

template <bool B_KN>
inline void launch_tc(const Operands& op, const Epilogue& ep, bool fast, Stream stream) {
  if (!fast) return launch_tc_modes<B_KN, 2, 2>("gemm_tc_generic", op, ep, stream);
  const bool a_bf16 = op.a_dtype == AIPROD_CUDA_BF16, b_bf16 = op.b_dtype == AIPROD_CUDA_BF16;
  if constexpr (B_KN) {
    return launch_tc_modes<true, 0, 0>("gemm_tc_bf16_kn", op, ep, stream);  // matmul: both bf16
  } else {
    if (a_bf16 && b_bf16) return launch_tc_modes<false, 0, 0>("gemm_tc_bf16_bf16", op, ep, stream);
    if (a_bf16) return launch_tc_modes<false, 0, 1>("gemm_tc_bf16_f8", op, ep, stream);
    if (b_bf16) return launch_tc_modes<false, 1, 0>("gemm_tc_f32_bf16", op, ep, stream);
    return launch_tc_modes<false, 1, 1>("gemm_tc_f32_f8", op, ep, stream);
  }
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace gemm
}  // namespace aiprod_cuda

#endif
