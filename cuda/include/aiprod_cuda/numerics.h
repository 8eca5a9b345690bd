/* Number formats as bits, identical on the GPU and under emulation: bf16/f16/f8e4m3 storage is uint16_t/
 * uint8_t and every conversion is written out here (round to nearest even, canonical NaNs), so results match
 * the CPU kernels (native/include/aiprod/half.h) bit for bit and no CUDA header type is needed. */
#ifndef AIPROD_CUDA_NUMERICS_H
#define AIPROD_CUDA_NUMERICS_H

#include "aiprod_cuda/kernel.h"

namespace aiprod_cuda {

AIPROD_DI float bf16_to_f32(uint16_t b) { return __uint_as_float(unsigned(b) << 16); }

AIPROD_DI uint16_t f32_to_bf16(float f) {
  const unsigned u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // canonical NaN
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

AIPROD_DI float f16_to_f32(uint16_t h) {
  const unsigned sign = unsigned(h & 0x8000u) << 16;
  const unsigned exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  if (exp == 0) {
    // zero or subnormal: man * 2^-24, exact in f32
    const float v = float(man) * 5.9604644775390625e-8f;
    return __uint_as_float(__float_as_uint(v) | sign);
  }
  if (exp == 31) return __uint_as_float(sign | 0x7f800000u | (man << 13) | (man ? 0x00400000u : 0u));  // NaNs quieted, as on the CPU
  return __uint_as_float(sign | ((exp + 112u) << 23) | (man << 13));
}

// The CPU's formulas (native/include/aiprod/half.h), so both round identically.
AIPROD_DI uint16_t f32_to_f16(float f) {
  unsigned x = __float_as_uint(f);
  const unsigned sign = (x >> 16) & 0x8000u;
  x &= 0x7fffffffu;
  if (x > 0x7f800000u) return 0x7e00;                   // NaN
  if (x >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // >= 65520 rounds to inf
  if (x < 0x38800000u) {                                 // below 2^-14: subnormal or zero
    // Adding 0.5 puts the value's 2^-24 units in the low mantissa bits; the FPU rounds to nearest even.
    const float v = __uint_as_float(x) + 0.5f;
    return uint16_t(sign | (__float_as_uint(v) - 0x3f000000u));
  }
  const unsigned odd = (x >> 13) & 1u;
  x += 0xc8000fffu + odd;  // rebias exponent 127 -> 15 and round the 13 dropped bits to nearest even
  return uint16_t(sign | (x >> 13));
}

AIPROD_DI uint8_t f32_to_f8e4m3(float f) {
  unsigned x = __float_as_uint(f);
  const unsigned sign = (x >> 24) & 0x80u;
  x &= 0x7fffffffu;
  if (x >= 0x43f00000u) return uint8_t(sign | 0x7fu);  // >= 480, inf or NaN -> NaN
  if (x < 0x3c800000u) {                               // below 2^-6: subnormal or zero, units of 2^-9
    const float v = __uint_as_float(x) + 16384.0f;     // 2^14: its ulp is 2^-9
    return uint8_t(sign | (__float_as_uint(v) - 0x46800000u));
  }
  const unsigned odd = (x >> 20) & 1u;
  x += 0xc407ffffu + odd;  // rebias exponent 127 -> 7 and round the 20 dropped bits to nearest even
  return uint8_t(sign | (x >> 20));
}

// OCP FP8 E4M3 ("fn": no infinities, 0x7f/0xff NaN), the format of fp8 checkpoints.
AIPROD_DI float f8e4m3_to_f32(uint8_t b) {
  const unsigned sign = unsigned(b & 0x80u) << 24;
  const unsigned exp = (b >> 3) & 0xfu, man = b & 0x7u;
  if (exp == 15 && man == 7) return __uint_as_float(0x7fc00000u | sign);
  if (exp == 0) {
    const float v = float(man) * 0.001953125f;  // man * 2^-9
    return __uint_as_float(__float_as_uint(v) | sign);
  }
  return __uint_as_float(sign | ((exp + 120u) << 23) | (man << 20));
}

AIPROD_DI float load_as_f32(const void* p, int dtype, size_t i) {
  if (dtype == 0) return static_cast<const float*>(p)[i];
  if (dtype == 1) return bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
  if (dtype == 2) return f16_to_f32(static_cast<const uint16_t*>(p)[i]);
  return f8e4m3_to_f32(static_cast<const uint8_t*>(p)[i]);
}

AIPROD_DI void store_from_f32(void* p, int dtype, size_t i, float v) {
  if (dtype == 0) {
    static_cast<float*>(p)[i] = v;
  } else if (dtype == 1) {
    static_cast<uint16_t*>(p)[i] = f32_to_bf16(v);
  } else if (dtype == 2) {
    static_cast<uint16_t*>(p)[i] = f32_to_f16(v);
  } else {
    static_cast<uint8_t*>(p)[i] = f32_to_f8e4m3(v);
  }
}

// Two bf16 values in one 32-bit register, `lo` in the low half (the element with the lower index).
AIPROD_DI uint32_t pack_bf16x2(float lo, float hi) { return uint32_t(f32_to_bf16(lo)) | uint32_t(f32_to_bf16(hi)) << 16; }

}  // namespace aiprod_cuda

#endif
