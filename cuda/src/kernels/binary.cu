// numpy-broadcast binary ops (aiprod_cuda_binary_args): out[i] = a[i'] op b[i''] over `shape` (out contiguous,
// a/b at their element strides, 0 on broadcast axes), up to 8 dims; a, b and out each f32, bf16 or f16; math in
// f32 and one rounding to out's dtype, so results are bit-identical to aiprod::broadcast_binary (max/min: NaN
// when either input is NaN, otherwise std::max/std::min's choice, which keeps a on ties such as max(-0, +0)).
// The launcher drops size-1 axes and merges axes that are contiguous for out, a and b alike (e.g. a row
// broadcast over [rows, d] stays two axes; same-shape operands become one), then one thread per output
// element decodes its index over the remaining axes (innermost first, so neighbouring threads read
// neighbouring elements of a non-broadcast operand).
#include <cmath>

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "ops.h"
#include "pointwise_device.h"

namespace aiprod_cuda {
namespace {

struct BinShape {
  int ndim;
  int64_t shape[8];
  int64_t as[8], bs[8];
};

template <int kOp>
AIPROD_DI float apply(float a, float b) {
  if (kOp == AIPROD_CUDA_ADD) return __fadd_rn(a, b);
  if (kOp == AIPROD_CUDA_MUL) return __fmul_rn(a, b);
  if (kOp == AIPROD_CUDA_SUB) return __fsub_rn(a, b);
  if (kOp == AIPROD_CUDA_DIV) return a / b;
  if (a != a || b != b) return __uint_as_float(0x7fc00000u);
  if (kOp == AIPROD_CUDA_MAX) return a < b ? b : a;
  return b < a ? b : a;
}

template <int kOp>
__global__ void binary_kernel(const void* a, int adt, const void* b, int bdt, void* out, int odt, BinShape s, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rest = i, ao = 0, bo = 0;
    if (s.ndim == 1) {  // same-shape, scalar or fully merged operands: no index decode
      ao = i * s.as[0], bo = i * s.bs[0], rest = 0;
    }
    for (int k = s.ndim == 1 ? -1 : s.ndim - 1; k >= 0; --k) {
      const int64_t idx = rest % s.shape[k];
      rest /= s.shape[k];
      ao += idx * s.as[k];
      bo += idx * s.bs[k];
    }
    store_from_f32(out, odt, size_t(i), apply<kOp>(load_as_f32(a, adt, size_t(ao)), load_as_f32(b, bdt, size_t(bo))));
  }
}

bool binary_dtype(int d) { return d == AIPROD_CUDA_F32 || d == AIPROD_CUDA_BF16 || d == AIPROD_CUDA_F16; }

}  // namespace

void binary(const aiprod_cuda_binary_args& a, void* stream) {
  static const char* names[] = {"binary_add", "binary_mul", "binary_sub", "binary_div", "binary_max", "binary_min"};
  if (a.op < AIPROD_CUDA_ADD || a.op > AIPROD_CUDA_MIN) {
    invalid_argument("binary: unknown op " + std::to_string(a.op) + " (0 add, 1 mul, 2 sub, 3 div, 4 max, 5 min)");
  }
  const int64_t n = checked_numel(names[a.op], a.ndim, a.shape);
  const int dts[3] = {a.a_dtype, a.b_dtype, a.out_dtype};
  const char* dn[3] = {"a", "b", "out"};
  for (int i = 0; i < 3; ++i) {
    if (!binary_dtype(dts[i])) {
      invalid_argument(std::string(names[a.op]) + ": " + dn[i] + " dtype " + dtype_name(dts[i]) + " (code " +
                       std::to_string(dts[i]) + ") is not supported; use f32, bf16 or f16");
    }
  }
  if (n == 0) return;
  const std::string shape = shape_string(a.ndim, a.shape);
  pw::need_ptr(names[a.op], "a", a.a, shape);
  pw::need_ptr(names[a.op], "b", a.b, shape);
  pw::need_ptr(names[a.op], "out", a.out, shape);
  // Drop size-1 axes, then merge axis k into k+1 where all three layouts are contiguous across them.
  BinShape s{};
  for (int k = 0; k < a.ndim; ++k) {
    if (a.shape[k] == 1) continue;
    s.shape[s.ndim] = a.shape[k], s.as[s.ndim] = a.a_strides[k], s.bs[s.ndim] = a.b_strides[k];
    ++s.ndim;
  }
  BinShape m{};
  for (int k = 0; k < s.ndim; ++k) {
    if (m.ndim > 0) {
      const int j = m.ndim - 1;
      // out is contiguous, so axis j (outer) merges into k (inner) when a and b step by shape·stride too.
      if (m.as[j] == s.as[k] * s.shape[k] && m.bs[j] == s.bs[k] * s.shape[k]) {
        m.shape[j] *= s.shape[k];
        m.as[j] = s.as[k], m.bs[j] = s.bs[k];
        continue;
      }
    }
    m.shape[m.ndim] = s.shape[k], m.as[m.ndim] = s.as[k], m.bs[m.ndim] = s.bs[k];
    ++m.ndim;
  }
  Stream st = static_cast<Stream>(stream);
  const dim3 grid(pw::stride_blocks(size_t(n), 256)), block(256);
  switch (a.op) {
    case AIPROD_CUDA_ADD: launch(names[0], binary_kernel<AIPROD_CUDA_ADD>, grid, block, 0, st, a.a, a.a_dtype, a.b, a.b_dtype, a.out, a.out_dtype, m, n); break;
    case AIPROD_CUDA_MUL: launch(names[1], binary_kernel<AIPROD_CUDA_MUL>, grid, block, 0, st, a.a, a.a_dtype, a.b, a.b_dtype, a.out, a.out_dtype, m, n); break;
    case AIPROD_CUDA_SUB: launch(names[2], binary_kernel<AIPROD_CUDA_SUB>, grid, block, 0, st, a.a, a.a_dtype, a.b, a.b_dtype, a.out, a.out_dtype, m, n); break;
    case AIPROD_CUDA_DIV: launch(names[3], binary_kernel<AIPROD_CUDA_DIV>, grid, block, 0, st, a.a, a.a_dtype, a.b, a.b_dtype, a.out, a.out_dtype, m, n); break;
    case AIPROD_CUDA_MAX: launch(names[4], binary_kernel<AIPROD_CUDA_MAX>, grid, block, 0, st, a.a, a.a_dtype, a.b, a.b_dtype, a.out, a.out_dtype, m, n); break;
    default: launch(names[5], binary_kernel<AIPROD_CUDA_MIN>, grid, block, 0, st, a.a, a.a_dtype, a.b, a.b_dtype, a.out, a.out_dtype, m, n); break;
  }
}

}  // namespace aiprod_cuda
