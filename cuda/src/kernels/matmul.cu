// Batched matmul: c[b] = a[b] . (b_transposed ? b[b]^T : b[b]), a [M,K], b [K,N] or [N,K], c [M,N], batch
// strides in elements (0: the operand is shared by every batch item).
//   - f32: the f32 SIMT GEMM (f32 products and accumulation, aiprod::matmul_ref's numerics);
//   - bf16: tensor cores, bf16 x bf16 products exact in f32, f32 accumulation, c rounded to bf16 once.
#include <string>

#include "aiprod_cuda/kernel.h"
#include "gemm_common.h"
#include "gemm_simt.h"
#include "gemm_tc.h"
#include "ops.h"
#include "shape_args.h"

namespace aiprod_cuda {

void matmul(const aiprod_cuda_matmul_args& a, void* stream) {
  const std::string what = "matmul " + std::to_string(a.batch) + " x [" + std::to_string(a.m) + "," +
                           std::to_string(a.k) + "] . [" + (a.b_transposed ? std::to_string(a.n) + "," + std::to_string(a.k)
                                                                          : std::to_string(a.k) + "," + std::to_string(a.n)) +
                           (a.b_transposed ? "]^T " : "] ") + dtype_name(a.dtype);
  if (a.dtype != AIPROD_CUDA_F32 && a.dtype != AIPROD_CUDA_BF16) {
    invalid_argument(what + ": dtype " + dtype_name(a.dtype) + " (code " + std::to_string(a.dtype) +
                     ") unsupported; matmul takes f32 or bf16");
  }
  if (a.batch == 0 || a.m == 0 || a.n == 0) return;
  if (!a.c) invalid_argument(what + ": c is null");
  if (a.k > 0 && (!a.a || !a.b)) invalid_argument(what + ": " + (a.a ? "b" : "a") + " is null");
  if (a.batch > 1 && a.stride_c < a.m * a.n) {
    invalid_argument(what + ": stride_c " + std::to_string(a.stride_c) + " < m*n = " + std::to_string(a.m * a.n) +
                     ": batch items of c would overlap");
  }
  if (a.m > size_t(65535) * 64) {
    invalid_argument(what + ": m = " + std::to_string(a.m) + " rows exceed the grid (at most 4194240); fold them into the batch");
  }
  if (a.n > size_t(1) << 31 || a.k > size_t(1) << 31) invalid_argument(what + ": n or k beyond 2^31");

  const bool kn = !a.b_transposed;
  gemm::Operands op{a.a, a.dtype, a.stride_a, a.b, a.dtype, a.stride_b, 1.0f, a.batch, a.m, a.n, a.k};
  gemm::Epilogue ep{nullptr, 0, 0, nullptr, 0, nullptr, 0, a.c, a.dtype, a.stride_c};
  Stream st = static_cast<Stream>(stream);
  if (a.dtype == AIPROD_CUDA_F32) {
    const dim3 grid(ceil_div(a.n, gemm::kSimtBN), ceil_div(a.m, gemm::kSimtBM), unsigned(a.batch < 65535 ? a.batch : 65535));
    if (kn) {
      launch("matmul_simt_f32_kn", gemm::gemm_simt_kernel<true>, grid, dim3(gemm::kSimtThreads), 0, st, op, ep);
    } else {
      launch("matmul_simt_f32_nk", gemm::gemm_simt_kernel<false>, grid, dim3(gemm::kSimtThreads), 0, st, op, ep);
    }
    return;
  }
  // cp.async needs every 8-element chunk of a row 16-byte aligned: rows, batch strides and bases.
  const bool fast = a.k % 8 == 0 && (!kn || a.n % 8 == 0) && a.stride_a % 8 == 0 && a.stride_b % 8 == 0 &&
                    gemm::aligned16(a.a) && gemm::aligned16(a.b);
  if (kn) {
    gemm::launch_tc<true>(op, ep, fast, st);
  } else {
    gemm::launch_tc<false>(op, ep, fast, st);
  }
}

}  // namespace aiprod_cuda
