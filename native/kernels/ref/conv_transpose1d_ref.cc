// Reference transposed 1D convolution: each output element gathers the (i, k) pairs that land on it, in
// (ci, k) order, f32 accumulation. The oracle for the GEMM + scatter path.
#include "aiprod/conv.h"
#include "aiprod/threadpool.h"

namespace aiprod {

void conv_transpose1d_ref(const ConvTranspose1dArgs& a) {
  parallel_range(a.batch * a.cout, 1, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const size_t b = r / a.cout, co = r % a.cout;
      float* out = a.out + r * a.out_len;
      for (size_t t = 0; t < a.out_len; ++t) {
        float acc = a.bias ? a.bias[co] : 0.0f;
        for (size_t ci = 0; ci < a.cin; ++ci) {
          for (size_t kk = 0; kk < a.k; ++kk) {
            const long num = long(t) + long(a.padding) - long(kk * a.dilation);  // = i * stride
            if (num < 0 || num % long(a.stride) != 0) continue;
            const size_t i = size_t(num) / a.stride;
            if (i >= a.len) continue;
            acc += a.x[(b * a.cin + ci) * a.len + i] * a.w[(ci * a.cout + co) * a.k + kk];
          }
        }
        out[t] = acc;
      }
    }
  });
}

}  // namespace aiprod
