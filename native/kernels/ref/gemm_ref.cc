// Reference Linear and matmul: straight dot products in the original layouts, one f32 accumulator per output,
// k in order. Independent of the packing and blocking of the fast paths, which are tested against it.
#include <cmath>
#include <vector>

#include "aiprod/gemm.h"
#include "aiprod/half.h"
#include "aiprod/threadpool.h"

namespace aiprod {

float gelu_tanh(float x) {
  const float k = 0.7978845608028654f;  // sqrt(2/pi)
  return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
}

void epilogue_row_ref(float* c, size_t n, const float* bias, Activation act, const float* gate, const float* residual) {
  for (size_t j = 0; j < n; ++j) {
    float v = c[j] + (bias ? bias[j] : 0.0f);
    if (act == Activation::GeluTanh) v = gelu_tanh(v);
    if (gate) v *= gate[j];
    if (residual) v += residual[j];
    c[j] = v;
  }
}

// Weight row n as f32 values, with the numerics of gemm.h (bf16/f8 weights: bf16 values).
static void weight_row(const LinearArgs& a, size_t n, float* out) {
  switch (a.w_dtype) {
    case DType::F32: {
      const float* w = static_cast<const float*>(a.w) + n * a.k;
      for (size_t k = 0; k < a.k; ++k) out[k] = w[k];
      break;
    }
    case DType::BF16: {
      const uint16_t* w = static_cast<const uint16_t*>(a.w) + n * a.k;
      for (size_t k = 0; k < a.k; ++k) out[k] = bf16_to_f32(w[k]);
      break;
    }
    case DType::F16: {
      const uint16_t* w = static_cast<const uint16_t*>(a.w) + n * a.k;
      for (size_t k = 0; k < a.k; ++k) out[k] = f16_to_f32(w[k]);
      break;
    }
    case DType::F8E4M3: {
      const uint8_t* w = static_cast<const uint8_t*>(a.w) + n * a.k;
      for (size_t k = 0; k < a.k; ++k) out[k] = bf16_to_f32(f32_to_bf16(f8e4m3_to_f32(w[k]) * a.w_scale));
      break;
    }
  }
}

void linear_ref(const LinearArgs& a) {
  const bool bf16_math = a.w_dtype != DType::F32;
  std::vector<float> w(a.n * a.k);
  for (size_t n = 0; n < a.n; ++n) weight_row(a, n, w.data() + n * a.k);
  parallel_range(a.m, 1, [&](size_t m0, size_t m1) {
    std::vector<float> xrow(a.k);
    for (size_t m = m0; m < m1; ++m) {
      for (size_t k = 0; k < a.k; ++k) {
        const float v = a.x[m * a.k + k];
        xrow[k] = bf16_math ? bf16_to_f32(f32_to_bf16(v)) : v;
      }
      float* y = a.y + m * a.n;
      for (size_t n = 0; n < a.n; ++n) {
        const float* wr = w.data() + n * a.k;
        float acc = 0.0f;
        for (size_t k = 0; k < a.k; ++k) acc += xrow[k] * wr[k];
        y[n] = acc;
      }
      epilogue_row_ref(y, a.n, a.epi.bias, a.epi.act, a.epi.gate ? a.epi.gate + m * a.n : nullptr,
                       a.epi.residual ? a.epi.residual + m * a.n : nullptr);
    }
  });
}

void matmul_ref(const MatmulArgs& a) {
  parallel_range(a.batch * a.m, 1, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const size_t b = r / a.m, m = r % a.m;
      const float* ar = a.a + b * a.stride_a + m * a.k;
      const float* bm = a.b + b * a.stride_b;
      float* cr = a.c + b * a.stride_c + m * a.n;
      for (size_t n = 0; n < a.n; ++n) {
        float acc = 0.0f;
        for (size_t k = 0; k < a.k; ++k) acc += ar[k] * (a.b_transposed ? bm[n * a.k + k] : bm[k * a.n + n]);
        cr[n] = acc;
      }
    }
  });
}

}  // namespace aiprod
