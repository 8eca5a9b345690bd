// The blocked GEMM driver (BLIS loop order): for each K block, pack every NR-wide B panel once (in parallel),
// then split M blocks x N panel groups over the thread pool; each task packs its MC x KC A block (kept in L2)
// and runs the micro-kernel over its panels (each B micro-panel stays in L1 across the A micro-panels).
#include <algorithm>
#include <memory>
#include <string>

#include "aiprod/cpu_features.h"
#include "aiprod/gemm.h"
#include "aiprod/scratch.h"
#include "aiprod/threadpool.h"
#include "gemm_pack.h"

namespace aiprod {

#ifndef AIPROD_HAVE_AVX2
const GemmKernels* gemm_kernels_avx2() { return nullptr; }
#endif
#ifndef AIPROD_HAVE_AVX512
const GemmKernels* gemm_kernels_avx512() { return nullptr; }
#endif
#ifndef AIPROD_HAVE_AVX512BF16
UkernelBf16 gemm_bf16_ukernel_avx512bf16() { return nullptr; }
#endif

const GemmKernels* gemm_kernels() {
  switch (active_isa()) {
    case Isa::Ref: return nullptr;
    case Isa::Avx2: return gemm_kernels_avx2();
    case Isa::Avx512: {
      // The AVX-512 table plus the bf16 dot-product micro-kernel where the CPU has AVX512_BF16.
      static const GemmKernels table = [] {
        GemmKernels t = *gemm_kernels_avx512();
        if (cpu_features().avx512_bf16) t.bf16 = gemm_bf16_ukernel_avx512bf16();
        return t;
      }();
      return &table;
    }
  }
  return nullptr;
}

namespace {

using gemm::pack_a_bf16;
using gemm::pack_a_f32;
using gemm::pack_b_bf16;
using gemm::pack_b_f32;

struct Problem {
  size_t m, n, k;
  const float* a;
  size_t lda;
  float* c;
  size_t ldc;
  const Epilogue* epi;  // applied after the last K block, or nullptr
  bool bf16_math;       // round A to bf16 (bf16/f8 weights)
};


// Loop order: B is packed once, whole (every NR panel over all of K), in parallel. Tasks are (M block x group of
// N panels); a task packs its MC x KC slice of A (L2-resident with one B panel) and, for each panel and A
// micro-panel, runs the micro-kernel over the whole K chunk, so each C tile stays in registers for the chunk and
// is read back at most once per chunk (streaming C from memory once per small K block cost ~40% before).
template <class Src>
void run(const GemmKernels& kt, const Problem& pb, const Src& b, const WeightKey& key = {}, const std::string& tag = "") {
  const size_t MR = kt.mr, NR = kt.nr;
  const bool dp = pb.bf16_math && kt.bf16 != nullptr;  // bf16 pairs through the dot-product micro-kernel
  // 8 micro-panels of A per task: every task streams all of B past its A block, so B traffic falls with MC (4
  // micro-panels measured 5-6% slower on f32 4096x2048x2048, interleaved runs; bf16 pairs unchanged).
  const size_t MC = MR * 8;
  // K chunk: A slice (MC x KC) plus one B panel (KC x NR) within ~640 KiB of L2, even for bf16 pairs; chunks of
  // equal length (not one full chunk and a short remainder, whose C tile write-back is paid for few steps).
  const size_t elem = dp ? sizeof(uint16_t) : sizeof(float);
  const size_t kc_max = std::max<size_t>(64, (640 * 1024 / ((MC + NR) * elem)) & ~size_t(1));
  const size_t k_chunks = std::max<size_t>(1, (pb.k + kc_max - 1) / kc_max);
  const size_t KC = std::max<size_t>(2, ((pb.k + k_chunks - 1) / k_chunks + 1) & ~size_t(1));
  const size_t n_panels = (pb.n + NR - 1) / NR, m_blocks = (pb.m + MC - 1) / MC;
  const size_t k_padded = (pb.k + 1) & ~size_t(1);
  const size_t panel_elems = k_padded * NR;
  // Packs every B panel over all of K into dst, in parallel.
  auto pack_all = [&](void* dst) {
    parallel_range(n_panels, 2, [&](size_t p0, size_t p1) {
      thread_local Scratch col_scratch;
      float* col = col_scratch.get<float>(pb.k);
      for (size_t p = p0; p < p1; ++p) {
        const size_t n0 = p * NR, ncols = std::min(NR, pb.n - n0);
        if (dp) {
          pack_b_bf16(b, n0, ncols, 0, pb.k, NR, static_cast<uint16_t*>(dst) + p * panel_elems, col);
        } else {
          pack_b_f32(b, n0, ncols, 0, pb.k, NR, static_cast<float*>(dst) + p * panel_elems, col);
        }
      }
    });
  };
  // Weights with an identity come from the packed-weight cache; other operands go to the calling thread's
  // buffer, kept between calls (mapping it fresh each call cost page faults: ~14% of a 4096x2048x2048 GEMM).
  thread_local Scratch packed_b;
  std::shared_ptr<const HostStorage> cached;
  const void* bdata;
  if (key.uid) {
    cached = packed_weights(key, tag, n_panels * panel_elems * elem, [&](HostStorage& s) { pack_all(s.data()); });
    bdata = cached->data();
  } else {
    void* dst = packed_b.get<uint8_t>(n_panels * panel_elems * elem);
    pack_all(dst);
    bdata = dst;
  }

  // Enough tasks to balance the threads: M blocks first, then N panel groups when M alone is too short.
  const size_t want_tasks = size_t(thread_count()) * 4;
  const size_t groups_wanted = std::min(n_panels, std::max<size_t>(1, (want_tasks + m_blocks - 1) / m_blocks));
  const size_t panels_per_group = (n_panels + groups_wanted - 1) / groups_wanted;
  const size_t n_groups = (n_panels + panels_per_group - 1) / panels_per_group;
  parallel_for(m_blocks * n_groups, [&](size_t task) {
    const size_t mb = task / n_groups, g = task % n_groups;
    const size_t m0 = mb * MC, rows = std::min(MC, pb.m - m0);
    const size_t micro = (rows + MR - 1) / MR;
    const size_t p_begin = g * panels_per_group, p_end = std::min(n_panels, p_begin + panels_per_group);
    for (size_t k0 = 0; k0 < pb.k; k0 += KC) {
      const size_t kc = std::min(KC, pb.k - k0);
      const size_t steps = dp ? (kc + 1) / 2 : kc;
      const size_t a_panel = steps * MR * (dp ? 2 : 1);
      thread_local Scratch a_scratch;  // this thread's packed A block, reused across tasks and calls
      void* abuf = a_scratch.get<uint8_t>(micro * a_panel * elem);
      for (size_t r = 0; r < micro; ++r) {
        const size_t r_rows = std::min(MR, rows - r * MR);
        if (dp) {
          pack_a_bf16(pb.a, pb.lda, m0 + r * MR, r_rows, k0, kc, MR, static_cast<uint16_t*>(abuf) + r * a_panel);
        } else {
          pack_a_f32(pb.a, pb.lda, m0 + r * MR, r_rows, k0, kc, MR, pb.bf16_math, static_cast<float*>(abuf) + r * a_panel);
        }
      }
      const bool last = k0 + kc == pb.k;
      for (size_t p = p_begin; p < p_end; ++p) {
        const size_t n0 = p * NR, ncols = std::min(NR, pb.n - n0);
        for (size_t r = 0; r < micro; ++r) {
          const size_t row0 = m0 + r * MR, mr = std::min(MR, rows - r * MR);
          float* c = pb.c + row0 * pb.ldc + n0;
          if (dp) {
            kt.bf16(steps, static_cast<const uint16_t*>(abuf) + r * a_panel,
                    static_cast<const uint16_t*>(bdata) + p * panel_elems + k0 * NR, c, pb.ldc, mr, ncols, k0 > 0);
          } else {
            kt.f32(steps, static_cast<const float*>(abuf) + r * a_panel,
                   static_cast<const float*>(bdata) + p * panel_elems + k0 * NR, c, pb.ldc, mr, ncols, k0 > 0);
          }
          if (last && pb.epi) {
            const Epilogue& e = *pb.epi;
            for (size_t i = 0; i < mr; ++i) {
              const size_t off = (row0 + i) * pb.ldc + n0;
              kt.epilogue(pb.c + off, ncols, e.bias ? e.bias + n0 : nullptr, e.act, e.gate ? e.gate + off : nullptr,
                          e.residual ? e.residual + off : nullptr);
            }
          }
        }
      }
    }
  });
  packed_b.trim();
  if (pb.k == 0) {  // no K chunk ran: the product is zero, the epilogue still applies
    parallel_range(pb.m, 1, [&](size_t m0, size_t m1) {
      for (size_t m = m0; m < m1; ++m) {
        float* row = pb.c + m * pb.ldc;
        std::fill(row, row + pb.n, 0.0f);
        if (pb.epi) {
          epilogue_row_ref(row, pb.n, pb.epi->bias, pb.epi->act, pb.epi->gate ? pb.epi->gate + m * pb.ldc : nullptr,
                           pb.epi->residual ? pb.epi->residual + m * pb.ldc : nullptr);
        }
      }
    });
  }
}

}  // namespace

void linear(const LinearArgs& a) {
  const GemmKernels* kt = gemm_kernels();
  if (!kt) return linear_ref(a);
  if (a.m == 0 || a.n == 0) return;
  const bool has_epi = a.epi.bias || a.epi.gate || a.epi.residual || a.epi.act != Activation::None;
  const Problem pb{a.m, a.n, a.k, a.x, a.k, a.y, a.n, has_epi ? &a.epi : nullptr, a.w_dtype != DType::F32};
  // The packed layout depends on the path, the micro-kernel kind and, for f8, the scale.
  const std::string tag = std::string("linear/") + isa_name(kt->isa) + "/" + std::to_string(kt->nr) + "/" +
                          (pb.bf16_math && kt->bf16 ? "bf16" : "f32") + "/" + dtype_name(a.w_dtype) + "/" +
                          std::to_string(a.w_scale);
  run(*kt, pb, gemm::WeightSource{a.w, a.w_dtype, a.w_scale, a.k}, a.w_key, tag);
}

void matmul(const MatmulArgs& a) {
  const GemmKernels* kt = gemm_kernels();
  if (!kt) return matmul_ref(a);
  if (a.m == 0 || a.n == 0) return;
  for (size_t b = 0; b < a.batch; ++b) {
    const Problem pb{a.m, a.n, a.k, a.a + b * a.stride_a, a.k, a.c + b * a.stride_c, a.n, nullptr, false};
    run(*kt, pb, gemm::MatrixSource{a.b + b * a.stride_b, a.b_transposed ? a.k : a.n, a.b_transposed});
  }
}

}  // namespace aiprod
