// Strided copy with an optional cast, up to 8 dims: permute, narrow, concat pieces, contiguous() and every
// dtype conversion (the CPU's rounding: nearest even; to f8e4m3 saturating to NaN as the CPU does).
// Same-dtype copies move the bits, so NaN payloads and f8 codes survive unchanged.
#include <algorithm>
#include <type_traits>

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "ops.h"
#include "shape_args.h"

namespace aiprod_cuda {
namespace {

struct Strided {
  int ndim;
  int64_t shape[8];
  int64_t x_strides[8];
  int64_t out_strides[8];
};

AIPROD_DI void offsets(const Strided& s, int64_t linear, int64_t* xo, int64_t* oo) {
  int64_t a = 0, b = 0;
  for (int d = s.ndim - 1; d >= 0; --d) {
    const int64_t i = linear % s.shape[d];
    linear /= s.shape[d];
    a += i * s.x_strides[d];
    b += i * s.out_strides[d];
  }
  *xo = a;
  *oo = b;
}

template <int kBytes>
__global__ void copy_bits_kernel(const void* x, void* out, Strided s, int64_t n) {
  using T = typename std::conditional<kBytes == 4, uint32_t, typename std::conditional<kBytes == 2, uint16_t, uint8_t>::type>::type;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t xo, oo;
    offsets(s, i, &xo, &oo);
    static_cast<T*>(out)[oo] = static_cast<const T*>(x)[xo];
  }
}

__global__ void copy_cast_kernel(const void* x, int x_dtype, void* out, int out_dtype, Strided s, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t xo, oo;
    offsets(s, i, &xo, &oo);
    store_from_f32(out, out_dtype, size_t(oo), load_as_f32(x, x_dtype, size_t(xo)));
  }
}

}  // namespace

void copy(const aiprod_cuda_copy_args& a, void* stream) {
  const int64_t n = checked_numel("copy", a.ndim, a.shape);
  if (!valid_dtype(a.x_dtype) || !valid_dtype(a.out_dtype)) {
    invalid_argument("unknown dtype code (x " + std::to_string(a.x_dtype) + ", out " + std::to_string(a.out_dtype) + ")");
  }
  if (n == 0) return;
  if (!a.x || !a.out) invalid_argument("null data pointer for " + shape_string(a.ndim, a.shape));
  Strided s;
  s.ndim = a.ndim;
  for (int d = 0; d < 8; ++d) {
    s.shape[d] = d < a.ndim ? a.shape[d] : 1;
    s.x_strides[d] = d < a.ndim ? a.x_strides[d] : 0;
    s.out_strides[d] = d < a.ndim ? a.out_strides[d] : 0;
  }
  const unsigned threads = 256;
  const unsigned blocks = unsigned(std::min<int64_t>((n + threads - 1) / threads, 4096));
  Stream st = static_cast<Stream>(stream);
  if (a.x_dtype == a.out_dtype) {
    switch (dtype_size(a.x_dtype)) {
      case 4: launch("copy_bits32", copy_bits_kernel<4>, dim3(blocks), dim3(threads), 0, st, a.x, a.out, s, n); break;
      case 2: launch("copy_bits16", copy_bits_kernel<2>, dim3(blocks), dim3(threads), 0, st, a.x, a.out, s, n); break;
      default: launch("copy_bits8", copy_bits_kernel<1>, dim3(blocks), dim3(threads), 0, st, a.x, a.out, s, n); break;
    }
  } else {
    launch("copy_cast", copy_cast_kernel, dim3(blocks), dim3(threads), 0, st, a.x, a.x_dtype, a.out, a.out_dtype, s, n);
  }
}

}  // namespace aiprod_cuda
