// Helpers shared by the pointwise op tests (norm, modulate, unary, binary, rope): device tensors of a chosen
// dtype built from f32 values, downloads as f32, the ulp units of the bounds, and a guard that makes the CPU
// functions run their scalar reference path (native/kernels/ref: double accumulation, no FMA), the oracle.
#ifndef AIPROD_CUDA_TESTS_POINTWISE_TEST_UTIL_H
#define AIPROD_CUDA_TESTS_POINTWISE_TEST_UTIL_H

#include <cmath>
#include <cstring>
#include <vector>

#include "aiprod/half.h"
#include "aiprod/kernels.h"
#include "aiprod/pointwise.h"
#include "harness.h"

namespace pwt {

constexpr double kU = 1.0 / 16777216.0;  // 2^-24: unit roundoff of f32
constexpr double kHalfBf16 = 1.0 / 256.0; // half an ulp of bf16 relative to the value: 2^-8

inline const char* dn(int dt) { return dt == AIPROD_CUDA_F32 ? "f32" : dt == AIPROD_CUDA_BF16 ? "bf16" : "f16"; }
inline size_t esize(int dt) { return dt == AIPROD_CUDA_F32 ? 4 : 2; }

// A device tensor of dtype dt (f32, bf16 or f16) holding `v` rounded to dt; vals are the values it holds.
struct DevT {
  int dtype;
  size_t n;
  std::vector<float> vals;
  harness::DeviceBuffer<uint8_t> buf;
  DevT(const std::vector<float>& v, int dt, size_t pad = 0) : dtype(dt), n(v.size()), vals(v), buf((v.size() + pad) * esize(dt) + 16) {
    std::vector<uint8_t> bytes((v.size() + pad) * esize(dt) + 16, 0);
    for (size_t i = 0; i < n; ++i) {
      if (dt == AIPROD_CUDA_F32) {
        std::memcpy(&bytes[4 * i], &v[i], 4);
      } else {
        const uint16_t h = dt == AIPROD_CUDA_BF16 ? aiprod::f32_to_bf16(v[i]) : aiprod::f32_to_f16(v[i]);
        vals[i] = dt == AIPROD_CUDA_BF16 ? aiprod::bf16_to_f32(h) : aiprod::f16_to_f32(h);
        std::memcpy(&bytes[2 * i], &h, 2);
      }
    }
    buf.upload(bytes);
  }
  // An output of n elements, poisoned with NaN bytes.
  DevT(size_t count, int dt) : dtype(dt), n(count), vals(count), buf(count * esize(dt) + 16) { buf.fill_bytes(0xff); }
  void* get() const { return buf.get(); }
  std::vector<float> download() const {
    const std::vector<uint8_t> bytes = buf.download();
    std::vector<float> out(n);
    for (size_t i = 0; i < n; ++i) {
      if (dtype == AIPROD_CUDA_F32) {
        std::memcpy(&out[i], &bytes[4 * i], 4);
      } else {
        uint16_t h;
        std::memcpy(&h, &bytes[2 * i], 2);
        out[i] = dtype == AIPROD_CUDA_BF16 ? aiprod::bf16_to_f32(h) : aiprod::f16_to_f32(h);
      }
    }
    return out;
  }
  aiprod::FloatIn in() const { return {vals.data(), aiprod::DType::F32}; }
};

// f32 values rounded the way an output of dtype dt stores them.
inline std::vector<float> rounded(const std::vector<float>& v, int dt) {
  std::vector<float> out(v);
  for (auto& x : out) {
    if (dt == AIPROD_CUDA_BF16) x = aiprod::bf16_to_f32(aiprod::f32_to_bf16(x));
    if (dt == AIPROD_CUDA_F16) x = aiprod::f16_to_f32(aiprod::f32_to_f16(x));
  }
  return out;
}

// Per-element bound for an output of dtype dt compared with the unrounded f32 reference: the f32 bound, plus
// for bf16 half an ulp of bf16 (2^-8 relative), which also covers the f32 error moving the rounding.
inline std::vector<float> out_bounds(const std::vector<float>& ref, const std::vector<double>& f32_bound, int dt) {
  std::vector<float> b(ref.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    double v = f32_bound[i];
    if (dt == AIPROD_CUDA_BF16) v = v * (1 + kHalfBf16) + kHalfBf16 * std::fabs(ref[i]);
    b[i] = float(v);
  }
  return b;
}

// Runs the CPU functions on their scalar reference path while alive.
struct RefIsa {
  aiprod::Isa prev;
  RefIsa() : prev(aiprod::active_isa()) { aiprod::select_isa(aiprod::Isa::Ref); }
  ~RefIsa() { aiprod::select_isa(prev); }
};

constexpr int kF32 = AIPROD_CUDA_F32, kBF16 = AIPROD_CUDA_BF16, kF16 = AIPROD_CUDA_F16;

}  // namespace pwt

#endif
