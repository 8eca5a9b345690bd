// Picks the pointwise table that matches the active ISA path, so setIsa() switches these ops too.
#include "aiprod/pointwise_kernels.h"

namespace aiprod {

#ifndef AIPROD_HAVE_AVX2
const PointwiseKernels* avx2_pointwise_kernels() { return nullptr; }
#endif
#ifndef AIPROD_HAVE_AVX512
const PointwiseKernels* avx512_pointwise_kernels() { return nullptr; }
#endif

const PointwiseKernels& pointwise_kernels() {
  const PointwiseKernels* t = nullptr;
  switch (active_isa()) {
    case Isa::Avx512: t = avx512_pointwise_kernels(); break;
    case Isa::Avx2: t = avx2_pointwise_kernels(); break;
    case Isa::Ref: break;
  }
  return t ? *t : ref_pointwise_kernels();
}

}  // namespace aiprod
