// rope: split (LTX-2 SPLIT / rotate_half) and interleaved RoPE on x [B,H,T,d] with each table layout, against
// aiprod::rope on the scalar reference path. Both round a·cos, b·sin and their difference/sum separately (no
// FMA), so the results are bit-identical (bound 0 on the output rounded to its dtype).
#include "pointwise_test_util.h"

using namespace pwt;

namespace {

void check(bool interleaved, int layout, size_t B, size_t H, size_t T, size_t d, int xdt, int tdt, int ydt, bool in_place,
           uint64_t seed) {
  const size_t n = B * H * T * d, half = d / 2;
  const size_t trows = layout == 0 ? B * T * H : layout == 1 ? T * H : T;
  DevT x(harness::random_floats(n, seed, -2.f, 2.f), xdt);
  std::vector<float> ang = harness::random_floats(trows * half, seed + 1, -3.2f, 3.2f), cv(ang.size()), sv(ang.size());
  for (size_t i = 0; i < ang.size(); ++i) cv[i] = std::cos(ang[i]), sv[i] = std::sin(ang[i]);
  DevT c(cv, tdt), s(sv, tdt);
  DevT y(n, ydt);
  aiprod_cuda_rope_args a{};
  a.interleaved = interleaved, a.x = x.get(), a.x_dtype = xdt, a.cos = c.get(), a.sin = s.get(), a.table_dtype = tdt;
  a.table_layout = layout, a.y = in_place ? x.get() : y.get(), a.y_dtype = in_place ? xdt : ydt;
  a.batch = B, a.heads = H, a.tokens = T, a.d = d;
  std::vector<float> ref(n);
  {
    RefIsa guard;
    aiprod::rope(interleaved, x.in(), c.in(), s.in(), aiprod::RopeTable(layout), {ref.data(), aiprod::DType::F32}, B, H, T, d);
  }
  aiprod_cuda::rope(a, nullptr);
  char what[160];
  std::snprintf(what, sizeof what, "rope %s layout %d [%zu,%zu,%zu,%zu] x %s tables %s y %s%s", interleaved ? "interleaved" : "split",
                layout, B, H, T, d, dn(xdt), dn(tdt), dn(in_place ? xdt : ydt), in_place ? " in place" : "");
  harness::expect_close(what, in_place ? x.download() : y.download(), rounded(ref, in_place ? xdt : ydt), 0, 0);
}

}  // namespace

KERNEL_TEST(rope_matches_cpu) {
  uint64_t seed = 1;
  for (int il = 0; il <= 1; ++il) {
    for (int layout = 0; layout <= 2; ++layout) {
      const int k = il * 3 + layout;
      const int xdt = k % 2 ? kBF16 : kF32, tdt = (k / 2) % 2 ? kBF16 : kF32, ydt = (k + 1) % 3 ? kF32 : kBF16;
      check(il, layout, 2, 3, 5, 8, xdt, tdt, ydt, false, seed++);
      check(il, layout, 1, 1, 1, 2, tdt, xdt, ydt, false, seed++);
      check(il, layout, 1, 2, 37, 14, ydt, tdt, xdt, false, seed++);
    }
  }
  check(false, 1, 2, 2, 3, 64, kBF16, kF32, kBF16, true, seed++);
  check(true, 2, 1, 3, 7, 10, kF32, kBF16, kF32, true, seed++);
}

KERNEL_TEST(rope_rejects_bad_arguments) {
  DevT t(std::vector<float>(16, 1.f), kF32);
  aiprod_cuda_rope_args a{};
  a.x = a.cos = a.sin = t.get(), a.y = t.get(), a.batch = 1, a.heads = 1, a.tokens = 2, a.d = 8;
  const int code = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  a.d = 7;
  harness::expect_error("odd d", code, "head dim d 7 is odd", [&] { aiprod_cuda::rope(a, nullptr); });
  a.d = 8, a.table_layout = 3;
  harness::expect_error("layout 3", code, "unknown table_layout 3", [&] { aiprod_cuda::rope(a, nullptr); });
  a.table_layout = 0, a.table_dtype = AIPROD_CUDA_F16;
  harness::expect_error("f16 tables", code, "table_dtype) dtype f16", [&] { aiprod_cuda::rope(a, nullptr); });
  a.table_dtype = 0, a.sin = nullptr;
  harness::expect_error("null sin", code, "sin is null", [&] { aiprod_cuda::rope(a, nullptr); });
  a.tokens = 0;
  aiprod_cuda::rope(a, nullptr);  // empty: no error
}
