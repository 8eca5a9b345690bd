#include <array>
#include <cmath>
#include <limits>

#include "aiprod/half.h"

namespace aiprod {
namespace {

// e4m3fn: bias 7, no infinities, S.1111.111 is NaN, exponent 0 is subnormal (m * 2^-9).
std::array<float, 256> build_table() {
  std::array<float, 256> t{};
  for (int v = 0; v < 256; ++v) {
    const int exp = (v >> 3) & 0xf, mant = v & 7;
    float mag;
    if (exp == 15 && mant == 7) {
      mag = std::numeric_limits<float>::quiet_NaN();
    } else if (exp == 0) {
      mag = std::ldexp(float(mant), -9);
    } else {
      mag = std::ldexp(1.0f + float(mant) / 8.0f, exp - 7);
    }
    t[size_t(v)] = (v & 0x80) ? -mag : mag;
  }
  return t;
}

}  // namespace

float f8e4m3_to_f32(uint8_t v) {
  static const std::array<float, 256> table = build_table();
  return table[v];
}

}  // namespace aiprod
