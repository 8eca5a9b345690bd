#include "aiprod/cpu_features.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define AIPROD_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace aiprod {
namespace {

#ifdef AIPROD_X86
void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, int(leaf), int(sub));
  for (int i = 0; i < 4; ++i) r[i] = uint32_t(regs[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

uint64_t xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
#endif
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#ifdef AIPROD_X86
  uint32_t r[4];
  cpuid(0, 0, r);
  const uint32_t max_leaf = r[0];
  char vendor[13] = {0};
  std::memcpy(vendor, &r[1], 4);
  std::memcpy(vendor + 4, &r[3], 4);
  std::memcpy(vendor + 8, &r[2], 4);
  f.vendor = vendor;

  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1;
  f.sse42 = (r[2] >> 20) & 1;
  f.fma = (r[2] >> 12) & 1;
  f.f16c = (r[2] >> 29) & 1;
  const bool avx = (r[2] >> 28) & 1;
  if (osxsave && avx) {
    const uint64_t xcr0 = xgetbv0();
    f.os_ymm = (xcr0 & 0x6) == 0x6;     // XMM + YMM state
    f.os_zmm = (xcr0 & 0xe6) == 0xe6;   // + opmask, ZMM_Hi256, Hi16_ZMM
  }
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    const uint32_t ebx = r[1], ecx = r[2];
    const bool avx2 = (ebx >> 5) & 1;
    const bool f512 = (ebx >> 16) & 1, dq = (ebx >> 17) & 1, bw = (ebx >> 30) & 1, vl = (ebx >> 31) & 1;
    f.avx2 = avx2 && f.fma && f.f16c && f.os_ymm;
    f.avx512 = f512 && dq && bw && vl && f.os_zmm && f.avx2;
    f.avx512_vnni = f.avx512 && ((ecx >> 11) & 1);
    const uint32_t max_sub = r[0];
    if (max_sub >= 1) {
      cpuid(7, 1, r);
      f.avx512_bf16 = f.avx512 && ((r[0] >> 5) & 1);
    }
  }
  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000004u) {
    char brand[49] = {0};
    for (uint32_t i = 0; i < 3; ++i) {
      cpuid(0x80000002u + i, 0, r);
      std::memcpy(brand + 16 * i, r, 16);
    }
    f.brand = brand;
    const size_t first = f.brand.find_first_not_of(' ');
    const size_t last = f.brand.find_last_not_of(' ');
    f.brand = first == std::string::npos ? "" : f.brand.substr(first, last - first + 1);
  }
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace aiprod
