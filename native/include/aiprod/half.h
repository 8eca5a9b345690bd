// Scalar conversions between f32 and the narrow storage types. These are the reference semantics that every
// SIMD path must reproduce bit for bit (round to nearest even everywhere):
//  - bf16: PyTorch c10::BFloat16 rules; any NaN becomes the canonical 0x7FC0.
//  - f16:  IEEE binary16 with subnormals; overflow -> inf; any NaN becomes the canonical 0x7E00 (no sign: which
//    NaN operand x86 propagates depends on operand order, which the compiler may swap).
//  - f8e4m3 (the "fn" variant used by LTX-2 fp8 checkpoints: no inf, 0x7F/0xFF are NaN, max 448): PyTorch
//    c10::Float8_e4m3fn rules, so values at or beyond the rounding threshold 480 (and inf) become NaN, not 448.
#pragma once
#include <cstdint>
#include <cstring>

namespace aiprod {

inline uint32_t f32_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bits_f32(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

inline float bf16_to_f32(uint16_t h) { return bits_f32(uint32_t(h) << 16); }

inline uint16_t f32_to_bf16(float f) {
  uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  x += 0x7fffu + ((x >> 16) & 1u);  // round to nearest even; overflow carries into inf correctly
  return uint16_t(x >> 16);
}

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    // zero or subnormal: exact as mant * 2^-24
    const float v = float(mant) * bits_f32(0x33800000u);  // 2^-24
    return bits_f32(f32_bits(v) | sign);
  }
  // inf, or a NaN made quiet (as F16C's vcvtph2ps does) with its payload kept
  if (exp == 31) return bits_f32(sign | 0x7f800000u | (mant << 13) | (mant ? 0x00400000u : 0u));
  return bits_f32(sign | ((exp + 112u) << 23) | (mant << 13));
}

inline uint16_t f32_to_f16(float f) {
  uint32_t x = f32_bits(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x > 0x7f800000u) return 0x7e00;                        // NaN
  if (x >= 0x477ff000u) return uint16_t(sign | 0x7c00u);     // >= 65520 rounds to inf
  if (x < 0x38800000u) {                                      // below 2^-14: f16 subnormal or zero
    // Adding 0.5 puts the value's 2^-24 units in the low mantissa bits; the FPU rounds to nearest even.
    const float v = bits_f32(x) + 0.5f;
    return uint16_t(sign | (f32_bits(v) - 0x3f000000u));
  }
  const uint32_t odd = (x >> 13) & 1u;
  x += 0xc8000fffu + odd;  // rebias exponent 127 -> 15 and round the 13 dropped bits to nearest even
  return uint16_t(sign | (x >> 13));
}

float f8e4m3_to_f32(uint8_t v);  // table lookup, exact

inline uint8_t f32_to_f8e4m3(float f) {
  uint32_t x = f32_bits(f);
  const uint8_t sign = uint8_t((x >> 24) & 0x80u);
  x &= 0x7fffffffu;
  if (x >= 0x43f00000u) return uint8_t(sign | 0x7fu);  // >= 480, inf or NaN -> NaN
  if (x < 0x3c800000u) {                               // below 2^-6: subnormal or zero, units of 2^-9
    const float v = bits_f32(x) + 16384.0f;            // 2^14: its ulp is 2^-9
    return uint8_t(sign | uint8_t(f32_bits(v) - 0x46800000u));
  }
  const uint32_t odd = (x >> 20) & 1u;
  x += 0xc407ffffu + odd;  // rebias exponent 127 -> 7 ((7-127)<<23 = 0xc4000000) and round 20 bits
  return uint8_t(sign | uint8_t(x >> 20));
}

}  // namespace aiprod
