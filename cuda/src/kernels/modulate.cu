// Per-token modulation (aiprod_cuda_modulate_args) on rows x d, parameter rows picked by (r / div) % count:
//   kind 0 ada_ln:  y = x·(1 + scale) + shift   (a = x, b = scale, c = shift)
//   kind 1 add_mul: y = residual + x·g          (a = residual, b = x, c = g)
// rounded step by step like the CPU reference (no FMA contraction), so the results are bit-identical to
// native/kernels/ref. For add_mul, b (x) is a full rows x d tensor: b_div = b_count = 0 reads it per row (the
// CPU's add_mul); nonzero values map it like the tables. y may alias a.
// One thread per 4 elements (16/8-byte accesses) when d % 4 == 0 and every pointer is aligned, else per element;
// grid-stride over rows·d, so consecutive threads touch consecutive addresses of a row.
#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "ops.h"
#include "pointwise_device.h"

namespace aiprod_cuda {
namespace {

struct ModParams {
  int kind;
  const void* a;
  int adt;
  const void* b;
  int bdt;
  size_t b_div, b_count;
  const void* c;
  int cdt;
  size_t c_div, c_count;
  void* y;
  int ydt;
  size_t rows, d;
};

AIPROD_DI float apply(int kind, float a, float b, float c) {
  return kind == 0 ? __fadd_rn(__fmul_rn(a, __fadd_rn(1.0f, b)), c) : __fadd_rn(a, __fmul_rn(b, c));
}

template <bool kVec>
__global__ void modulate_kernel(ModParams p) {
  const size_t per = kVec ? 4 : 1, chunks = p.d / per, n = p.rows * chunks;
  for (size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += size_t(gridDim.x) * blockDim.x) {
    const size_t r = t / chunks, j = (t % chunks) * per;
    const size_t ao = r * p.d + j;
    const size_t bo = (p.b_count ? (r / p.b_div) % p.b_count : r) * p.d + j;
    const size_t co = ((r / p.c_div) % p.c_count) * p.d + j;
    if (kVec) {
      float a[4], b[4], c[4];
      pw::ld4(p.a, p.adt, ao, a);
      pw::ld4(p.b, p.bdt, bo, b);
      pw::ld4(p.c, p.cdt, co, c);
      for (int k = 0; k < 4; ++k) a[k] = apply(p.kind, a[k], b[k], c[k]);
      pw::st4(p.y, p.ydt, ao, a);
    } else {
      pw::st(p.y, p.ydt, ao, apply(p.kind, pw::ld(p.a, p.adt, ao), pw::ld(p.b, p.bdt, bo), pw::ld(p.c, p.cdt, co)));
    }
  }
}

}  // namespace

void modulate(const aiprod_cuda_modulate_args& a, void* stream) {
  if (a.kind != 0 && a.kind != 1) {
    invalid_argument("modulate: unknown kind " + std::to_string(a.kind) + " (0 ada_ln, 1 add_mul)");
  }
  const char* op = a.kind == 0 ? "modulate ada_ln" : "modulate add_mul";
  const char* an = a.kind == 0 ? "a (x)" : "a (residual)";
  const char* bn = a.kind == 0 ? "b (scale)" : "b (x)";
  const char* cn = a.kind == 0 ? "c (shift)" : "c (g)";
  pw::need_float_dtype(op, an, a.a_dtype);
  pw::need_float_dtype(op, bn, a.b_dtype);
  pw::need_float_dtype(op, cn, a.c_dtype);
  pw::need_float_dtype(op, "y", a.y_dtype);
  const std::string shape = "rows " + std::to_string(a.rows) + " x d " + std::to_string(a.d);
  const bool b_per_row = a.kind == 1 && a.b_div == 0 && a.b_count == 0;
  if (!b_per_row && (a.b_div == 0 || a.b_count == 0)) {
    invalid_argument(std::string(op) + ": b_div " + std::to_string(a.b_div) + " and b_count " + std::to_string(a.b_count) +
                     " must be >= 1 (row r reads table row (r / div) % count)" +
                     (a.kind == 1 ? "; or both 0 for x with one row per row of y" : ""));
  }
  if (a.c_div == 0 || a.c_count == 0) {
    invalid_argument(std::string(op) + ": c_div " + std::to_string(a.c_div) + " and c_count " + std::to_string(a.c_count) +
                     " must be >= 1 (row r reads table row (r / div) % count)");
  }
  if (a.rows == 0 || a.d == 0) return;
  pw::need_ptr(op, an, a.a, shape);
  pw::need_ptr(op, bn, a.b, shape);
  pw::need_ptr(op, cn, a.c, shape);
  pw::need_ptr(op, "y", a.y, shape);
  ModParams p{a.kind, a.a, a.a_dtype, a.b, a.b_dtype, b_per_row ? 0 : a.b_div, b_per_row ? 0 : a.b_count,
              a.c, a.c_dtype, a.c_div, a.c_count, a.y, a.y_dtype, a.rows, a.d};
  const bool vec = a.d % 4 == 0 && pw::vec_ok(a.a, a.a_dtype) && pw::vec_ok(a.b, a.b_dtype) && pw::vec_ok(a.c, a.c_dtype) &&
                   pw::vec_ok(a.y, a.y_dtype);
  const size_t items = a.rows * (vec ? a.d / 4 : a.d);
  Stream st = static_cast<Stream>(stream);
  if (vec) launch("modulate_vec", modulate_kernel<true>, dim3(pw::stride_blocks(items, 256)), dim3(256), 0, st, p);
  else launch("modulate", modulate_kernel<false>, dim3(pw::stride_blocks(items, 256)), dim3(256), 0, st, p);
}

}  // namespace aiprod_cuda
