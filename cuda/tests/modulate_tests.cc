// modulate: ada_ln y = x·(1+scale)+shift and add_mul y = residual + x·g with row maps ((r / div) % count),
// against the CPU functions on their scalar reference path. The kernel rounds the same steps in the same
// order (no FMA), so f32 outputs are bit-identical and bf16 outputs are the CPU's f32 result rounded once:
// bound 0.
#include "pointwise_test_util.h"

using namespace pwt;

namespace {

struct Map {
  size_t div, count;
};

// T tokens per batch item: rows = B·T.
void check(int kind, size_t B, size_t T, size_t d, Map bm, Map cm, int adt, int bdt, int cdt, int ydt, bool misalign,
           uint64_t seed) {
  const size_t rows = B * T, n = rows * d, off = misalign ? 1 : 0;
  const bool b_per_row = kind == 1 && bm.count == 0;
  const size_t brows = b_per_row ? rows : bm.count;
  std::vector<float> av = harness::random_floats(n + off, seed, -2.f, 2.f);
  DevT a(av, adt), b(harness::random_floats(brows * d + off, seed + 1, -1.f, 1.f), bdt),
      c(harness::random_floats(cm.count * d + off, seed + 2, -1.f, 1.f), cdt);
  DevT y(n + off, ydt);
  aiprod_cuda_modulate_args m{};
  m.kind = kind;
  m.a = static_cast<char*>(a.get()) + off * esize(adt), m.a_dtype = adt;
  m.b = static_cast<char*>(b.get()) + off * esize(bdt), m.b_dtype = bdt, m.b_div = bm.div, m.b_count = bm.count;
  m.c = static_cast<char*>(c.get()) + off * esize(cdt), m.c_dtype = cdt, m.c_div = cm.div, m.c_count = cm.count;
  m.y = static_cast<char*>(y.get()) + off * esize(ydt), m.y_dtype = ydt;
  m.rows = rows, m.d = d;
  aiprod_cuda::modulate(m, nullptr);
  std::vector<float> got = y.download();
  got.erase(got.begin(), got.begin() + long(off));
  std::vector<float> ref(n);
  {
    RefIsa guard;
    const aiprod::FloatIn ai{a.vals.data() + off, aiprod::DType::F32}, bi{b.vals.data() + off, aiprod::DType::F32},
        ci{c.vals.data() + off, aiprod::DType::F32};
    const aiprod::FloatOut yo{ref.data(), aiprod::DType::F32};
    if (kind == 0) {
      aiprod::ada_ln(ai, bi, aiprod::RowMap{bm.div, bm.count}, ci, aiprod::RowMap{cm.div, cm.count}, yo, rows, d);
    } else if (b_per_row) {
      aiprod::add_mul(ai, bi, ci, aiprod::RowMap{cm.div, cm.count}, yo, rows, d);
    } else {
      // x mapped like a table: expand it to rows first (the CPU's add_mul takes x per row).
      std::vector<float> xe(n);
      for (size_t r = 0; r < rows; ++r)
        for (size_t i = 0; i < d; ++i) xe[r * d + i] = b.vals[off + ((r / bm.div) % bm.count) * d + i];
      aiprod::add_mul(ai, {xe.data(), aiprod::DType::F32}, ci, aiprod::RowMap{cm.div, cm.count}, yo, rows, d);
    }
  }
  char what[200];
  std::snprintf(what, sizeof what, "modulate %s B %zu T %zu d %zu b map %zu/%zu c map %zu/%zu a %s b %s c %s y %s%s",
                kind ? "add_mul" : "ada_ln", B, T, d, bm.div, bm.count, cm.div, cm.count, dn(adt), dn(bdt), dn(cdt), dn(ydt),
                misalign ? " misaligned" : "");
  harness::expect_close(what, got, rounded(ref, ydt), 0, 0);
}

}  // namespace

KERNEL_TEST(modulate_ada_ln_matches_cpu) {
  // Tables [B,T,d] (1/B·T), [B,1,d] (T/B), [T,d] (1/T), [d] (1/1); d odd, 4-wide and misaligned.
  const int F = kF32, H = kBF16;
  check(0, 1, 1, 1, {1, 1}, {1, 1}, F, F, F, F, false, 1);
  check(0, 3, 1, 7, {1, 3}, {1, 1}, H, F, H, F, false, 2);
  check(0, 2, 3, 64, {3, 2}, {1, 6}, F, H, F, H, false, 3);
  check(0, 37, 1, 100, {1, 1}, {1, 37}, H, H, H, H, false, 4);
  check(0, 3, 5, 64, {1, 5}, {5, 3}, F, H, H, F, true, 5);
  check(0, 2, 3, 33, {3, 2}, {1, 3}, H, F, F, H, false, 6);
}

KERNEL_TEST(modulate_add_mul_matches_cpu) {
  const int F = kF32, H = kBF16;
  check(1, 1, 1, 1, {0, 0}, {1, 1}, F, F, F, F, false, 11);
  check(1, 3, 1, 7, {0, 0}, {1, 3}, H, H, F, F, false, 12);
  check(1, 2, 3, 64, {0, 0}, {3, 2}, F, F, H, H, false, 13);
  check(1, 37, 1, 100, {0, 0}, {1, 1}, H, F, H, H, false, 14);
  check(1, 3, 5, 64, {1, 15}, {5, 3}, F, H, F, F, true, 15);  // x given with an explicit identity map
  check(1, 2, 3, 12, {3, 2}, {1, 3}, H, F, F, H, false, 16); // x itself broadcast over tokens
}

KERNEL_TEST(modulate_in_place_on_residual) {
  // y aliasing a (the residual stream updated in place).
  const size_t rows = 5, d = 36;
  DevT a(harness::random_floats(rows * d, 21), kF32), x(harness::random_floats(rows * d, 22), kF32),
      g(harness::random_floats(d, 23), kF32);
  aiprod_cuda_modulate_args m{};
  m.kind = 1, m.a = a.get(), m.b = x.get(), m.c = g.get(), m.c_div = 1, m.c_count = 1, m.y = a.get(), m.rows = rows, m.d = d;
  aiprod_cuda::modulate(m, nullptr);
  std::vector<float> ref(rows * d);
  {
    RefIsa guard;
    aiprod::add_mul(a.in(), x.in(), g.in(), aiprod::RowMap{1, 1}, {ref.data(), aiprod::DType::F32}, rows, d);
  }
  harness::expect_close("add_mul in place", a.download(), ref, 0, 0);
}

KERNEL_TEST(modulate_rejects_bad_arguments) {
  DevT t(std::vector<float>(16, 1.f), kF32);
  aiprod_cuda_modulate_args m{};
  m.a = m.b = m.c = t.get(), m.y = t.get(), m.rows = 2, m.d = 8, m.b_div = m.b_count = m.c_div = m.c_count = 1;
  const int code = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  auto call = [&] { aiprod_cuda::modulate(m, nullptr); };  // with m as it is at each check
  m.kind = 2;
  harness::expect_error("kind 2", code, "unknown kind 2", call);
  m.kind = 0, m.c_dtype = AIPROD_CUDA_F16;
  harness::expect_error("f16 shift", code, "c (shift) dtype f16", call);
  m.c_dtype = 0, m.y_dtype = 5;
  harness::expect_error("dtype 5", code, "y dtype unknown dtype (code 5)", call);
  m.y_dtype = 0, m.b_count = 0;
  harness::expect_error("ada_ln b_count 0", code, "b_count 0 must be >= 1", call);
  m.b_count = 1, m.c_div = 0;
  harness::expect_error("c_div 0", code, "c_div 0", call);
  m.c_div = 1, m.b = nullptr;
  harness::expect_error("null b", code, "b (scale) is null", call);
  m.d = 0;
  aiprod_cuda::modulate(m, nullptr);  // empty: no error
}
