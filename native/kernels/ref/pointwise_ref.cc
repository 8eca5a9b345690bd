// Scalar reference for the pointwise row kernels: the oracle the SIMD paths are tested against. Reductions
// accumulate in double and transcendental functions come from <cmath>, so this path is as close to the
// float64 definitions as one f32 rounding of the result allows.
#include <algorithm>
#include <cmath>

#include "aiprod/pointwise_kernels.h"

namespace aiprod {
namespace {

float sum(const float* x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += x[i];
  return float(s);
}

float sum_sq_dev(const float* x, float c, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = double(x[i]) - c;
    s += d * d;
  }
  return float(s);
}

void scale(const float* x, float s, const float* w, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = w ? (x[i] * s) * w[i] : x[i] * s;
}

void norm_affine(const float* x, float c, float a, float b, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = (x[i] - c) * a + b;
}

void modulate(const float* x, const float* sc, const float* sh, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * (1.0f + sc[i]) + sh[i];
}

void add_mul(const float* r, const float* x, const float* g, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = r[i] + x[i] * g[i];
}

void lerp(const float* a, const float* b, float t, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = a[i] + t * (b[i] - a[i]);
}

void sq_accumulate(const float* x, float* acc, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] += x[i] * x[i];
}

void mul(const float* x, const float* s, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * s[i];
}

float activate(Activation op, float param, float x) {
  switch (op) {
    case Activation::GeluTanh: {
      const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);  // sqrt(2/pi)
      return 0.5f * x * (1.0f + std::tanh(u));
    }
    case Activation::GeluErf: return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
    case Activation::Silu: return x / (1.0f + std::exp(-x));
    case Activation::LeakyRelu: return x >= 0.0f ? x : x * param;
    case Activation::Sigmoid: return 1.0f / (1.0f + std::exp(-x));
    case Activation::Tanh: return std::tanh(x);
  }
  return x;
}

void activation(Activation op, float param, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = activate(op, param, x[i]);
}

void softmax(const float* x, float* y, size_t n) {
  float m = -INFINITY;
  for (size_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  double s = 0;
  for (size_t i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - m);
    s += y[i];
  }
  const float inv = float(1.0 / s);
  for (size_t i = 0; i < n; ++i) y[i] *= inv;
}

void rope_split(const float* x, const float* c, const float* s, float* y, size_t half) {
  for (size_t i = 0; i < half; ++i) {
    const float a = x[i], b = x[i + half];
    y[i] = a * c[i] - b * s[i];
    y[i + half] = b * c[i] + a * s[i];
  }
}

void rope_interleaved(const float* x, const float* c, const float* s, float* y, size_t half) {
  for (size_t i = 0; i < half; ++i) {
    const float a = x[2 * i], b = x[2 * i + 1];
    y[2 * i] = a * c[i] - b * s[i];
    y[2 * i + 1] = b * c[i] + a * s[i];
  }
}

}  // namespace

const PointwiseKernels& ref_pointwise_kernels() {
  static const PointwiseKernels table = {
      Isa::Ref, sum, sum_sq_dev, scale, norm_affine, modulate, add_mul, lerp, sq_accumulate, mul, activation,
      softmax, rope_split, rope_interleaved,
  };
  return table;
}

}  // namespace aiprod
