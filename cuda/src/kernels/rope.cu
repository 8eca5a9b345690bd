// RoPE (aiprod_cuda_rope_args) on x [B,H,T,d], as aiprod::rope (native/kernels/pointwise/rope.cc):
//   split (LTX-2 SPLIT / rotate_half): element i pairs with i + d/2; interleaved: 2i pairs with 2i + 1;
//   y_lo = a·cos − b·sin, y_hi = b·cos + a·sin, each product and the sum rounded (no FMA), so bit-identical
//   to the CPU reference. Tables (cos, sin alike, d/2 entries a row): layout 0 [B,T,H,d/2] (row (b·T + t)·H + h),
//   1 [T,H,d/2] (row t·H + h), 2 [T,d/2] (row t, shared by heads). y may alias x.
// One thread per rotation pair, grid-stride over B·H·T·d/2: consecutive threads take consecutive pairs of a head
// row and consecutive table entries (coalesced).
#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "ops.h"
#include "pointwise_device.h"

namespace aiprod_cuda {
namespace {

struct RopeParams {
  const void* x;
  int xdt;
  const void* cos;
  const void* sin;
  int tdt, layout;
  void* y;
  int ydt;
  size_t batch, heads, tokens, half;
};

template <bool kInterleaved>
__global__ void rope_kernel(RopeParams p) {
  const size_t n = p.batch * p.heads * p.tokens * p.half;
  for (size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += size_t(gridDim.x) * blockDim.x) {
    const size_t i = t % p.half, r = t / p.half;  // r: head row (b, h, tok) of x
    const size_t tok = r % p.tokens, h = (r / p.tokens) % p.heads, b = r / (p.tokens * p.heads);
    const size_t row = p.layout == 2 ? tok : p.layout == 1 ? tok * p.heads + h : (b * p.tokens + tok) * p.heads + h;
    const float c = pw::ld(p.cos, p.tdt, row * p.half + i), s = pw::ld(p.sin, p.tdt, row * p.half + i);
    const size_t base = r * 2 * p.half;
    const size_t lo = kInterleaved ? base + 2 * i : base + i, hi = kInterleaved ? lo + 1 : lo + p.half;
    const float a = pw::ld(p.x, p.xdt, lo), bb = pw::ld(p.x, p.xdt, hi);
    pw::st(p.y, p.ydt, lo, __fsub_rn(__fmul_rn(a, c), __fmul_rn(bb, s)));
    pw::st(p.y, p.ydt, hi, __fadd_rn(__fmul_rn(bb, c), __fmul_rn(a, s)));
  }
}

}  // namespace

void rope(const aiprod_cuda_rope_args& a, void* stream) {
  pw::need_float_dtype("rope", "x", a.x_dtype);
  pw::need_float_dtype("rope", "cos/sin (table_dtype)", a.table_dtype);
  pw::need_float_dtype("rope", "y", a.y_dtype);
  if (a.table_layout < 0 || a.table_layout > 2) {
    invalid_argument("rope: unknown table_layout " + std::to_string(a.table_layout) +
                     " (0 [B,T,H,d/2], 1 [T,H,d/2], 2 [T,d/2])");
  }
  const std::string shape = "x [" + std::to_string(a.batch) + "," + std::to_string(a.heads) + "," +
                            std::to_string(a.tokens) + "," + std::to_string(a.d) + "]";
  if (a.d % 2 != 0) invalid_argument("rope: head dim d " + std::to_string(a.d) + " is odd for " + shape + " (rotation pairs need an even d)");
  const size_t n = a.batch * a.heads * a.tokens * (a.d / 2);
  if (n == 0) return;
  pw::need_ptr("rope", "x", a.x, shape);
  pw::need_ptr("rope", "cos", a.cos, shape);
  pw::need_ptr("rope", "sin", a.sin, shape);
  pw::need_ptr("rope", "y", a.y, shape);
  RopeParams p{a.x, a.x_dtype, a.cos, a.sin, a.table_dtype, a.table_layout, a.y, a.y_dtype,
               a.batch, a.heads, a.tokens, a.d / 2};
  Stream st = static_cast<Stream>(stream);
  const dim3 grid(pw::stride_blocks(n, 256)), block(256);
  if (a.interleaved) launch("rope_interleaved", rope_kernel<true>, grid, block, 0, st, p);
  else launch("rope_split", rope_kernel<false>, grid, block, 0, st, p);
}

}  // namespace aiprod_cuda
