// Linear: y[m,n] = residual + gate * act(x[m,k] . w[n,k]^T + bias), the CPU's numerics (aiprod::linear_ref):
//   - bf16 or f8e4m3 weights: tensor cores (gemm_tc.h), x rounded to bf16 as it is staged, f8 weights decoded as
//     round_bf16(f8 * w_scale) as they are staged (the CPU's dequantization), bf16 x bf16 products exact in
//     f32, f32 accumulation;
//   - f32 weights: the f32 SIMT GEMM (gemm_simt.h), f32 products and accumulation (bf16 x read exactly).
// The epilogue (bias, GELU-tanh, gate, residual; y f32 or bf16) is fused into the GEMM's write-back.
#include <string>

#include "aiprod_cuda/kernel.h"
#include "gemm_common.h"
#include "gemm_simt.h"
#include "gemm_tc.h"
#include "ops.h"
#include "shape_args.h"

namespace aiprod_cuda {
namespace {

std::string shapes(const aiprod_cuda_linear_args& a) {
  return "linear x [" + std::to_string(a.m) + "," + std::to_string(a.k) + "] " + dtype_name(a.x_dtype) + ", w [" +
         std::to_string(a.n) + "," + std::to_string(a.k) + "] " + dtype_name(a.w_dtype);
}

bool f32_or_bf16(int d) { return d == AIPROD_CUDA_F32 || d == AIPROD_CUDA_BF16; }

// Byte ranges [p, p+bytes) and [q, q+bytes2) intersect.
bool overlaps(const void* p, size_t bytes, const void* q, size_t bytes2) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(q);
  return bytes && bytes2 && a < b + bytes2 && b < a + bytes;
}

}  // namespace

void linear(const aiprod_cuda_linear_args& a, void* stream) {
  const std::string what = shapes(a);
  if (!f32_or_bf16(a.x_dtype)) {
    invalid_argument(what + ": x dtype " + dtype_name(a.x_dtype) + " (code " + std::to_string(a.x_dtype) +
                     ") unsupported; x must be f32 or bf16");
  }
  if (a.w_dtype != AIPROD_CUDA_F32 && a.w_dtype != AIPROD_CUDA_BF16 && a.w_dtype != AIPROD_CUDA_F8E4M3) {
    invalid_argument(what + ": w dtype " + dtype_name(a.w_dtype) + " (code " + std::to_string(a.w_dtype) +
                     ") unsupported; w must be f32, bf16 or f8e4m3 (cast f16 weights to bf16)");
  }
  if (!f32_or_bf16(a.y_dtype)) {
    invalid_argument(what + ": y dtype " + dtype_name(a.y_dtype) + " (code " + std::to_string(a.y_dtype) +
                     ") unsupported; y must be f32 or bf16");
  }
  if (a.bias && !f32_or_bf16(a.bias_dtype)) {
    invalid_argument(what + ": bias dtype " + dtype_name(a.bias_dtype) + " unsupported; bias must be f32 or bf16");
  }
  if (a.gate && !f32_or_bf16(a.gate_dtype)) {
    invalid_argument(what + ": gate dtype " + dtype_name(a.gate_dtype) + " unsupported; gate must be f32 or bf16");
  }
  if (a.residual && !f32_or_bf16(a.residual_dtype)) {
    invalid_argument(what + ": residual dtype " + dtype_name(a.residual_dtype) +
                     " unsupported; residual must be f32 or bf16");
  }
  if (a.activation != 0 && a.activation != 1) {
    invalid_argument(what + ": activation code " + std::to_string(a.activation) + " unknown (0 none, 1 gelu_tanh)");
  }
  if (a.w_dtype == AIPROD_CUDA_F8E4M3 && !(a.w_scale == a.w_scale)) invalid_argument(what + ": w_scale is NaN");
  if (a.m == 0 || a.n == 0) return;
  if (!a.y) invalid_argument(what + ": y is null");
  if (a.k > 0 && (!a.x || !a.w)) invalid_argument(what + ": " + (a.x ? "w" : "x") + " is null");
  if (a.m > size_t(65535) * 64) {
    invalid_argument(what + ": m = " + std::to_string(a.m) + " rows exceed the grid (at most 4194240); split the rows");
  }
  if (a.n > size_t(1) << 31 || a.k > size_t(1) << 31) invalid_argument(what + ": n or k beyond 2^31");

  // Overlaps: gate and residual may be y itself (same dtype: each element is read, then written, by one
  // thread); any other overlap with y is a race.
  const size_t y_bytes = a.m * a.n * dtype_size(a.y_dtype);
  auto check_alias = [&](const char* name, const void* p, int dtype) {
    if (!p) return;
    if (p == a.y && dtype == a.y_dtype) return;
    if (overlaps(p, a.m * a.n * dtype_size(dtype), a.y, y_bytes)) {
      invalid_argument(what + ": " + name + " overlaps y other than as the same array of the same dtype");
    }
  };
  check_alias("gate", a.gate, a.gate_dtype);
  check_alias("residual", a.residual, a.residual_dtype);
  if (overlaps(a.x, a.m * a.k * dtype_size(a.x_dtype), a.y, y_bytes) ||
      overlaps(a.w, a.n * a.k * dtype_size(a.w_dtype), a.y, y_bytes) ||
      (a.bias && overlaps(a.bias, a.n * dtype_size(a.bias_dtype), a.y, y_bytes))) {
    invalid_argument(what + ": y overlaps x, w or bias (the output is written while they are read)");
  }

  gemm::Operands op{a.x, a.x_dtype, 0, a.w, a.w_dtype, 0, a.w_scale, 1, a.m, a.n, a.k};
  gemm::Epilogue ep{a.bias, a.bias_dtype, a.activation, a.gate, a.gate_dtype, a.residual, a.residual_dtype,
                    a.y, a.y_dtype, 0};
  Stream st = static_cast<Stream>(stream);
  if (a.w_dtype == AIPROD_CUDA_F32) {
    launch("linear_simt_f32", gemm::gemm_simt_kernel<false>, dim3(ceil_div(a.n, gemm::kSimtBN), ceil_div(a.m, gemm::kSimtBM)),
           dim3(gemm::kSimtThreads), 0, st, op, ep);
    return;
  }
  const bool fast = a.k % 8 == 0 && gemm::aligned16(a.x) && gemm::aligned16(a.w);
  gemm::launch_tc<false>(op, ep, fast, st);
}

}  // namespace aiprod_cuda
