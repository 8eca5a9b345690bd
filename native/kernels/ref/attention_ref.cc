// Reference attention: for each query row, all scores, then a two-pass softmax and the weighted sum of values.
// O(Nk) scratch per row; the oracle for the flash kernels.
#include <cmath>
#include <limits>
#include <vector>

#include "aiprod/attention.h"
#include "aiprod/threadpool.h"

namespace aiprod {

void attention_ref(const AttentionArgs& a) {
  const size_t group = a.heads / a.kv_heads;
  parallel_range(a.batch * a.heads * a.nq, 1, [&](size_t r0, size_t r1) {
    std::vector<float> s(a.nk);
    for (size_t r = r0; r < r1; ++r) {
      const size_t b = r / (a.heads * a.nq), h = (r / a.nq) % a.heads, i = r % a.nq;
      const size_t g = h / group;
      const float* q = a.q + r * a.d;
      const float* k = a.k + (b * a.kv_heads + g) * a.nk * a.d;
      const float* v = a.v + (b * a.kv_heads + g) * a.nk * a.d;
      const float* bias = a.bias ? a.bias + b * a.bias_stride_b + h * a.bias_stride_h + i * a.nk : nullptr;
      float mx = -std::numeric_limits<float>::infinity();
      for (size_t j = 0; j < a.nk; ++j) {
        float dot = 0.0f;
        for (size_t t = 0; t < a.d; ++t) dot += q[t] * k[j * a.d + t];
        float x = a.scale * dot + (bias ? bias[j] : 0.0f);
        if (!attention_visible(a, i, j)) x = -std::numeric_limits<float>::infinity();
        s[j] = x;
        if (x > mx) mx = x;
      }
      float* o = a.out + r * a.d;
      for (size_t t = 0; t < a.d; ++t) o[t] = 0.0f;
      if (mx == -std::numeric_limits<float>::infinity()) continue;  // every key masked: zeros
      float sum = 0.0f;
      for (size_t j = 0; j < a.nk; ++j) {
        s[j] = std::exp(s[j] - mx);
        sum += s[j];
      }
      for (size_t j = 0; j < a.nk; ++j) {
        const float p = s[j] / sum;
        for (size_t t = 0; t < a.d; ++t) o[t] += p * v[j * a.d + t];
      }
    }
  });
}

}  // namespace aiprod
