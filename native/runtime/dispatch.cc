#include <atomic>
#include <stdexcept>

#include "aiprod/cpu_features.h"
#include "aiprod/kernels.h"

namespace aiprod {

#ifndef AIPROD_HAVE_AVX2
const KernelTable* avx2_kernels() { return nullptr; }
#endif
#ifndef AIPROD_HAVE_AVX512
const KernelTable* avx512_kernels() { return nullptr; }
#endif

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Ref: return "ref";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "unknown";
}

bool isa_from_name(const std::string& name, Isa* out) {
  for (Isa isa : {Isa::Ref, Isa::Avx2, Isa::Avx512}) {
    if (name == isa_name(isa)) {
      *out = isa;
      return true;
    }
  }
  return false;
}

static const KernelTable* table_for(Isa isa) {
  switch (isa) {
    case Isa::Ref: return &ref_kernels();
    case Isa::Avx2: return avx2_kernels();
    case Isa::Avx512: return avx512_kernels();
  }
  return nullptr;
}

bool isa_usable(Isa isa, std::string* why) {
  const CpuFeatures& f = cpu_features();
  if (!table_for(isa)) {
    if (why) *why = std::string("the ") + isa_name(isa) + " path was not compiled into this build";
    return false;
  }
  if (isa == Isa::Avx2 && !f.avx2) {
    if (why) *why = "this CPU or OS lacks AVX2+FMA+F16C (or the OS does not save YMM state)";
    return false;
  }
  if (isa == Isa::Avx512 && !f.avx512) {
    if (why) *why = "this CPU or OS lacks AVX-512 F/BW/DQ/VL (or the OS does not save ZMM state)";
    return false;
  }
  return true;
}

Isa best_isa() {
  for (Isa isa : {Isa::Avx512, Isa::Avx2}) {
    if (isa_usable(isa, nullptr)) return isa;
  }
  return Isa::Ref;
}

static std::atomic<const KernelTable*> g_active{nullptr};

const KernelTable& kernels() {
  const KernelTable* t = g_active.load(std::memory_order_acquire);
  if (!t) {
    // First use without an explicit choice: take the best path.
    const KernelTable* best = table_for(best_isa());
    const KernelTable* expected = nullptr;
    g_active.compare_exchange_strong(expected, best);
    t = g_active.load(std::memory_order_acquire);
  }
  return *t;
}

void select_isa(Isa isa) {
  std::string why;
  if (!isa_usable(isa, &why)) {
    throw std::runtime_error(std::string("ISA path '") + isa_name(isa) + "' is not usable: " + why);
  }
  g_active.store(table_for(isa), std::memory_order_release);
}

Isa active_isa() { return kernels().isa; }

}  // namespace aiprod
