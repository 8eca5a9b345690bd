// Scalar reference for the elementwise ops and casts: the oracle every SIMD path is tested against, and the
// fallback on CPUs without AVX2.
#include "aiprod/half.h"
#include "aiprod/kernels.h"

namespace aiprod {
namespace {

inline float apply(BinaryOp op, float a, float b) { return op == BinaryOp::Add ? a + b : a * b; }

void binary_f32(BinaryOp op, const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = apply(op, a[i], b[i]);
}

template <float (*Load)(uint16_t), uint16_t (*Store)(float)>
void binary_16(BinaryOp op, const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = Store(apply(op, Load(a[i]), Load(b[i])));
}

template <typename From, typename To, To (*Convert)(From)>
void convert(const From* in, To* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = Convert(in[i]);
}

}  // namespace

const KernelTable& ref_kernels() {
  static const KernelTable table = {
      Isa::Ref,
      binary_f32,
      binary_16<bf16_to_f32, f32_to_bf16>,
      binary_16<f16_to_f32, f32_to_f16>,
      convert<uint16_t, float, bf16_to_f32>,
      convert<float, uint16_t, f32_to_bf16>,
      convert<uint16_t, float, f16_to_f32>,
      convert<float, uint16_t, f32_to_f16>,
  };
  return table;
}

}  // namespace aiprod
