// Transposed 1D convolution as one GEMM and a scatter: Z[(co,k), i] = Σ_ci Wᵀ[(co,k), ci] · x[ci, i] through the
// blocked matmul (all the multiply-adds), then out[co, i·s - p + k·d] += Z[(co,k), i] in a fixed order per output
// channel, so results are deterministic.
#include <algorithm>
#include <vector>

#include "aiprod/conv.h"
#include "aiprod/gemm.h"
#include "aiprod/scratch.h"
#include "aiprod/threadpool.h"

namespace aiprod {

void conv_transpose1d(const ConvTranspose1dArgs& a) {
  if (!gemm_kernels()) return conv_transpose1d_ref(a);
  const size_t M = a.cout * a.k;
  thread_local Scratch wt_scratch, z_scratch;
  float* wt = wt_scratch.get<float>(M * a.cin);  // Wᵀ: [(co,k), ci]
  parallel_range(M, 16, [&](size_t m0, size_t m1) {
    for (size_t m = m0; m < m1; ++m) {
      for (size_t ci = 0; ci < a.cin; ++ci) wt[m * a.cin + ci] = a.w[ci * M + m];
    }
  });
  float* z = z_scratch.get<float>(M * a.len);
  for (size_t b = 0; b < a.batch; ++b) {
    MatmulArgs mm{wt, a.x + b * a.cin * a.len, z, 1, M, a.cin, a.len, 0, 0, 0, false};
    matmul(mm);
    parallel_range(a.cout, 1, [&](size_t c0, size_t c1) {
      for (size_t co = c0; co < c1; ++co) {
        float* out = a.out + (b * a.cout + co) * a.out_len;
        std::fill(out, out + a.out_len, a.bias ? a.bias[co] : 0.0f);
        for (size_t kk = 0; kk < a.k; ++kk) {
          const float* zr = z + (co * a.k + kk) * a.len;
          for (size_t i = 0; i < a.len; ++i) {
            const long t = long(i * a.stride + kk * a.dilation) - long(a.padding);
            if (t >= 0 && size_t(t) < a.out_len) out[t] += zr[i];
          }
        }
      }
    });
  }
}

}  // namespace aiprod
