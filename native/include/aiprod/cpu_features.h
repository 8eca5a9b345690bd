// What the CPU and the OS support, read once from cpuid and xgetbv. The OS check matters: a CPU may
// have AVX-512 while the kernel does not save ZMM state (then using it would corrupt registers).
#pragma once
#include <string>

namespace aiprod {

struct CpuFeatures {
  bool sse42 = false;
  bool avx2 = false;  // with FMA and F16C: the three come together in our avx2 path
  bool fma = false;
  bool f16c = false;
  bool avx512 = false;  // F + BW + DQ + VL, with OS support for ZMM state
  bool avx512_bf16 = false;
  bool avx512_vnni = false;
  bool os_ymm = false;
  bool os_zmm = false;
  std::string vendor;
  std::string brand;
};

const CpuFeatures& cpu_features();

}  // namespace aiprod
