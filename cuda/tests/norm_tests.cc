// norm: rms_norm, layer_norm, softmax, row mean/std, pixel_norm, group_norm against the CPU functions on their
// scalar reference path (double accumulation), every f32/bf16 argument combination, odd sizes and the
// kernel's paths (warp per row d <= 1024, block per row staged d <= 8192, block per row unstaged beyond;
// 4-wide and scalar accesses).
//
// Bounds (u = 2^-24; the GPU sums in f32: each thread sequentially over d/threads elements, then a shuffle
// tree, so a sum of d terms errs by at most (d + 2)·u·Σ|terms|; the CPU reference rounds its double sums once):
//   rms_norm   y = x·inv·w: inv = 1/sqrt(Σx²/d + eps) errs relatively by (d/2 + 4)u (half the sum's error
//              through the sqrt, plus the divisions), two products 2u, the CPU's own 4u: |ref|·(d/2 + 12)u.
//   layer_norm y = (x − mean)·inv: the mean errs by (d + 2)u·mean|x| (both sides: 2x that), which moves every
//              output by inv·δmean; inv as for rms_norm: inv·2(d + 2)u·mean|x| + |ref|·(d/2 + 12)u.
//   softmax    y = e^(x−m)/Σ: x − m rounds by u|x − m|, which e^ turns into a relative u|x − m|; expf 2 ulp,
//              the sum (d + 2)u, 1/s and the product: |ref|·(d + 12 + |x − m|)u.
//   mean       2(d + 2)u·mean|x| + 2u|ref|.   std: sqrt of a (d + 2)u-accurate Σ(x − mean)² (the mean's error
//              enters only squared): |ref|·(d + 16)u.
//   pixel_norm as rms_norm with c for d.   group_norm (n = cpg·inner per group): as layer_norm with a = rstd·w,
//              plus 2u|ref| for the bias add: |a|·2(n + 2)u·mean|x| + |(x − mean)·a|·(n/2 + 12)u + 2u|ref|.
//   bf16 outputs: + half a bf16 ulp (2^-8 relative), see pwt::out_bounds.
#include <algorithm>
#include <cmath>

#include "pointwise_test_util.h"

using harness::DeviceBuffer;
using namespace pwt;

namespace {

struct RowCase {
  int kind;
  size_t rows, d;
  int xdt, ydt, wdt;  // wdt -1: no weight
  bool unbiased = false;
  bool misalign = false;  // x and y one element past an aligned address: the scalar path
  bool in_place = false;  // y = x (ydt must equal xdt)
};

void check_rows(const RowCase& c, uint64_t seed) {
  const size_t n = c.rows * c.d, outn = c.kind >= 3 ? c.rows : n;
  std::vector<float> xv = harness::random_floats(n, seed, -2.f, 2.f);
  for (size_t r = 1; r < c.rows; r += 2)
    for (size_t i = 0; i < c.d; ++i) xv[r * c.d + i] += 3.0f;  // rows with a large mean (cancellation)
  std::vector<float> xpad(xv);
  if (c.misalign) xpad.insert(xpad.begin(), 0.f);
  DevT x(xpad, c.xdt);
  std::vector<float> xin(x.vals.begin() + (c.misalign ? 1 : 0), x.vals.end());
  DevT y(outn + (c.misalign ? 1 : 0), c.ydt);
  std::vector<float> wv = harness::random_floats(c.d, seed + 1, 0.5f, 1.5f);
  DevT w(c.wdt >= 0 ? wv : std::vector<float>{0.f}, c.wdt >= 0 ? c.wdt : kF32);
  aiprod_cuda_norm_args a{};
  a.kind = c.kind;
  a.x = static_cast<char*>(x.get()) + (c.misalign ? esize(c.xdt) : 0);
  a.x_dtype = c.xdt;
  a.weight = c.wdt >= 0 ? w.get() : nullptr;
  a.weight_dtype = c.wdt >= 0 ? c.wdt : 0;
  a.y = c.in_place ? x.get() : static_cast<char*>(y.get()) + (c.misalign ? esize(c.ydt) : 0);
  a.y_dtype = c.ydt;
  a.rows = c.rows;
  a.d = c.d;
  a.eps = 1e-6f;
  a.unbiased = c.unbiased;
  aiprod_cuda::norm(a, nullptr);
  std::vector<float> got = c.in_place ? x.download() : y.download();
  if (c.misalign) got.erase(got.begin());

  std::vector<float> ref(outn);
  {
    RefIsa guard;
    const aiprod::FloatIn xi{xin.data(), aiprod::DType::F32};
    const aiprod::FloatOut yo{ref.data(), aiprod::DType::F32};
    const aiprod::FloatIn wi{w.vals.data(), aiprod::DType::F32};
    switch (c.kind) {
      case 0: aiprod::rms_norm(xi, c.wdt >= 0 ? &wi : nullptr, a.eps, yo, c.rows, c.d); break;
      case 1: aiprod::layer_norm(xi, a.eps, yo, c.rows, c.d); break;
      case 2: aiprod::softmax(xi, yo, c.rows, c.d); break;
      case 3: aiprod::row_mean(xi, yo, c.rows, c.d); break;
      default: aiprod::row_std(xi, c.unbiased, yo, c.rows, c.d); break;
    }
  }
  std::vector<double> bound(outn);
  const double d = double(c.d);
  for (size_t r = 0; r < c.rows; ++r) {
    const float* xr = &xin[r * c.d];
    double s = 0, sa = 0, mx = -INFINITY;
    for (size_t i = 0; i < c.d; ++i) s += xr[i], sa += std::fabs(xr[i]), mx = std::max(mx, double(xr[i]));
    const double mean = s / d, meanabs = sa / d;
    double ss = 0;
    for (size_t i = 0; i < c.d; ++i) ss += (xr[i] - mean) * (xr[i] - mean);
    const double inv = 1.0 / std::sqrt(ss / d + a.eps);
    if (c.kind == 3) bound[r] = 2 * (d + 2) * kU * meanabs + 2 * kU * std::fabs(ref[r]);
    if (c.kind == 4) bound[r] = (d + 16) * kU * std::fabs(ref[r]);
    if (c.kind >= 3) continue;
    for (size_t i = 0; i < c.d; ++i) {
      const double rf = std::fabs(ref[r * c.d + i]);
      double b = 0;
      if (c.kind == 0) b = rf * (d / 2 + 12) * kU;
      if (c.kind == 1) b = inv * 2 * (d + 2) * kU * meanabs + rf * (d / 2 + 12) * kU;
      if (c.kind == 2) b = rf * (d + 12 + (mx - xr[i])) * kU;
      bound[r * c.d + i] = b;
    }
  }
  char what[160];
  std::snprintf(what, sizeof what, "norm kind %d rows %zu d %zu x %s y %s w %s%s%s", c.kind, c.rows, c.d, dn(c.xdt), dn(c.ydt),
                c.wdt >= 0 ? dn(c.wdt) : "none", c.unbiased ? " unbiased" : "", c.misalign ? " misaligned" : c.in_place ? " in place" : "");
  harness::expect_within(what, got, ref, out_bounds(ref, bound, c.ydt));
}

const int kDt[2] = {kF32, kBF16};

}  // namespace

KERNEL_TEST(norm_row_ops_match_cpu) {
  // Warp per row (d <= 1024, 4-wide when d % 4 == 0) and block per row staged (1025 scalar, 1028 vector),
  // rows 1, 3, 37; dtypes of x, y (and weight for rms_norm) cycle over the cases so each kind sees them all.
  const size_t rows_list[] = {1, 3, 37};
  const size_t d_list[] = {1, 7, 64, 100, 1025, 1028};
  uint64_t seed = 100;
  for (int kind = 0; kind <= 4; ++kind) {
    for (size_t ri = 0; ri < 3; ++ri) {
      for (size_t di = 0; di < 6; ++di) {
        const size_t rows = rows_list[ri], d = d_list[di];
        if (rows == 37 && d >= 1025) continue;  // emulated time: the long rows run with 1 and 3 rows
        const size_t combo = size_t(kind) + ri + di;
        RowCase c{kind, rows, d, kDt[combo % 2], kDt[(combo / 2) % 2], -1};
        if (kind == 0) c.wdt = int((ri + di) % 3) - 1;
        if (kind == 4) c.unbiased = (ri + di) % 2 == 0;
        check_rows(c, seed++);
      }
    }
  }
}

KERNEL_TEST(norm_row_ops_long_and_misaligned_rows) {
  // Rows past the shared-memory stage (d > 8192: every pass re-reads x), 4-wide (8200) and scalar (8193), and
  // misaligned pointers on a vector-friendly d (scalar fallback).
  uint64_t seed = 300;
  for (int kind = 0; kind <= 4; ++kind) {
    check_rows(RowCase{kind, 2, 8200, kDt[kind % 2], kDt[(kind + 1) % 2], kind == 0 ? kBF16 : -1, kind == 4}, seed++);
    check_rows(RowCase{kind, 1, 8193, kDt[(kind + 1) % 2], kDt[kind % 2], kind == 0 ? kF32 : -1}, seed++);
    check_rows(RowCase{kind, 5, 64, kF32, kF32, kind == 0 ? kF32 : -1, false, true}, seed++);
    check_rows(RowCase{kind, 3, 1028, kBF16, kBF16, kind == 0 ? kBF16 : -1, kind == 4, true}, seed++);
  }
  // In place (y = x): staged rows, and unstaged ones where every pass re-reads x.
  for (int kind : {0, 1, 2}) {
    check_rows(RowCase{kind, 3, 100, kBF16, kBF16, kind == 0 ? kF32 : -1, false, false, true}, seed++);
    check_rows(RowCase{kind, 2, 8200, kF32, kF32, -1, false, false, true}, seed++);
    check_rows(RowCase{kind, 1, 8193, kF32, kF32, -1, false, false, true}, seed++);
  }
}

KERNEL_TEST(norm_std_of_one_element_unbiased_is_nan) {
  DevT x(std::vector<float>{2.5f, -1.f}, kF32);
  DevT y(2, kF32);
  aiprod_cuda_norm_args a{};
  a.kind = 4, a.x = x.get(), a.y = y.get(), a.rows = 2, a.d = 1, a.unbiased = 1;
  aiprod_cuda::norm(a, nullptr);
  const auto g = y.download();
  EXPECT(std::isnan(g[0]) && std::isnan(g[1]), "unbiased std of one element: got %g %g, expected NaN (0/0)", g[0], g[1]);
  a.unbiased = 0;
  aiprod_cuda::norm(a, nullptr);
  const auto g2 = y.download();
  EXPECT(g2[0] == 0.f && g2[1] == 0.f, "biased std of one element: got %g %g, expected 0", g2[0], g2[1]);
}

namespace {

void check_pixel(size_t outer, size_t ch, size_t inner, int xdt, int ydt, uint64_t seed) {
  const size_t n = outer * ch * inner;
  DevT x(harness::random_floats(n, seed, -2.f, 2.f), xdt);
  DevT y(n, ydt);
  aiprod_cuda_norm_args a{};
  a.kind = 5, a.x = x.get(), a.x_dtype = xdt, a.y = y.get(), a.y_dtype = ydt;
  a.outer = outer, a.channels = ch, a.inner = inner, a.eps = 1e-8f;
  aiprod_cuda::norm(a, nullptr);
  const auto got = y.download();
  std::vector<float> ref(n);
  {
    RefIsa guard;
    aiprod::pixel_norm(x.in(), a.eps, {ref.data(), aiprod::DType::F32}, outer, ch, inner);
  }
  std::vector<double> bound(n);
  for (size_t i = 0; i < n; ++i) bound[i] = std::fabs(ref[i]) * (double(ch) / 2 + 12) * kU;
  char what[128];
  std::snprintf(what, sizeof what, "pixel_norm [%zu,%zu,%zu] x %s y %s", outer, ch, inner, dn(xdt), dn(ydt));
  harness::expect_within(what, got, ref, out_bounds(ref, bound, ydt));
}

void check_group(size_t batch, size_t ch, size_t groups, size_t inner, int xdt, int ydt, int wdt, int bdt, uint64_t seed) {
  const size_t n = batch * ch * inner;
  std::vector<float> xv = harness::random_floats(n, seed, -2.f, 2.f);
  for (size_t i = 0; i < n; i += 2) xv[i] += 1.5f;
  for (size_t i = 0; i < n; ++i) xv[i] += float((i / inner) % 3);  // channel means differ (so do chunk means)
  DevT x(xv, xdt);
  DevT y(n, ydt);
  DevT w(harness::random_floats(ch, seed + 1, 0.5f, 1.5f), wdt >= 0 ? wdt : kF32);
  DevT b(harness::random_floats(ch, seed + 2, -1.f, 1.f), bdt >= 0 ? bdt : kF32);
  aiprod_cuda_norm_args a{};
  a.kind = 6, a.x = x.get(), a.x_dtype = xdt, a.y = y.get(), a.y_dtype = ydt;
  a.weight = wdt >= 0 ? w.get() : nullptr, a.weight_dtype = wdt >= 0 ? wdt : 0;
  a.bias = bdt >= 0 ? b.get() : nullptr, a.bias_dtype = bdt >= 0 ? bdt : 0;
  a.outer = batch, a.channels = ch, a.groups = groups, a.inner = inner, a.eps = 1e-5f;
  aiprod_cuda::norm(a, nullptr);
  const auto got = y.download();
  std::vector<float> ref(n);
  {
    RefIsa guard;
    const aiprod::FloatIn wi = w.in(), bi = b.in();
    aiprod::group_norm(x.in(), wdt >= 0 ? &wi : nullptr, bdt >= 0 ? &bi : nullptr, a.eps, {ref.data(), aiprod::DType::F32},
                       batch, ch, groups, inner);
  }
  const size_t cpg = ch / groups, gn = cpg * inner;
  std::vector<double> bound(n);
  for (size_t g = 0; g < batch * groups; ++g) {
    const float* xg = &x.vals[g * gn];
    double s = 0, sa = 0;
    for (size_t i = 0; i < gn; ++i) s += xg[i], sa += std::fabs(xg[i]);
    const double mean = s / double(gn), meanabs = sa / double(gn);
    double ss = 0;
    for (size_t i = 0; i < gn; ++i) ss += (xg[i] - mean) * (xg[i] - mean);
    const double rstd = 1.0 / std::sqrt(ss / double(gn) + a.eps);
    for (size_t i = 0; i < gn; ++i) {
      const size_t c = (g % groups) * cpg + i / inner;
      const double av = std::fabs(rstd * (wdt >= 0 ? w.vals[c] : 1.0));
      bound[g * gn + i] = av * 2 * (double(gn) + 2) * kU * meanabs + std::fabs((xg[i] - mean) * av) * (double(gn) / 2 + 12) * kU +
                          2 * kU * std::fabs(ref[g * gn + i]);
    }
  }
  char what[160];
  std::snprintf(what, sizeof what, "group_norm [%zu,%zu,%zu] groups %zu x %s y %s w %s b %s", batch, ch, inner, groups, dn(xdt),
                dn(ydt), wdt >= 0 ? dn(wdt) : "none", bdt >= 0 ? dn(bdt) : "none");
  harness::expect_within(what, got, ref, out_bounds(ref, bound, ydt));
}

}  // namespace

KERNEL_TEST(norm_pixel_norm_matches_cpu) {
  // Odd channel counts; inner 1 is rms_norm over contiguous channels (both of its paths), inner > 1 strided.
  check_pixel(3, 7, 1, kF32, kBF16, 1);
  check_pixel(2, 64, 1, kBF16, kF32, 2);
  check_pixel(1, 1, 5, kF32, kF32, 3);
  check_pixel(2, 7, 37, kBF16, kBF16, 4);
  check_pixel(3, 13, 100, kF32, kBF16, 5);
  check_pixel(1, 129, 9, kBF16, kF32, 6);
}

KERNEL_TEST(norm_group_norm_matches_cpu) {
  // Odd channel and group counts, with and without weight and bias, every dtype for each argument.
  check_group(1, 6, 3, 7, kF32, kF32, -1, -1, 11);
  check_group(2, 15, 5, 9, kBF16, kF32, kF32, kBF16, 12);
  check_group(3, 7, 7, 1, kF32, kBF16, kBF16, kF32, 13);
  check_group(1, 9, 1, 37, kBF16, kBF16, kBF16, -1, 14);
  check_group(2, 32, 4, 100, kF32, kF32, -1, kF32, 15);   // 800 elements a group: 64 threads
  check_group(1, 10, 2, 410, kBF16, kF32, kF32, kF32, 16);  // 2050 a group: 256 threads
  // Few large groups: split into chunks over several blocks (per-chunk mean/M2 merged), 4 and 2 chunks.
  check_group(1, 4, 2, 4100, kF32, kBF16, kBF16, kBF16, 17);
  check_group(2, 9, 3, 1500, kBF16, kF32, -1, kF32, 18);
}

KERNEL_TEST(norm_rejects_bad_arguments) {
  DevT x(std::vector<float>(64, 1.f), kF32), y(64, kF32);
  aiprod_cuda_norm_args a{};
  a.x = x.get(), a.y = y.get(), a.rows = 4, a.d = 16, a.eps = 1e-6f;
  const int code = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  a.kind = 9;
  harness::expect_error("kind 9", code, "unknown kind 9", [&] { aiprod_cuda::norm(a, nullptr); });
  a.kind = -1;
  harness::expect_error("kind -1", code, "unknown kind -1", [&] { aiprod_cuda::norm(a, nullptr); });
  a.kind = 0;
  a.x_dtype = AIPROD_CUDA_F16;
  harness::expect_error("f16 x", code, "x dtype f16", [&] { aiprod_cuda::norm(a, nullptr); });
  a.x_dtype = 0, a.y_dtype = 9;
  harness::expect_error("dtype 9", code, "y dtype unknown dtype (code 9)", [&] { aiprod_cuda::norm(a, nullptr); });
  a.y_dtype = 0, a.weight = x.get(), a.weight_dtype = AIPROD_CUDA_F8E4M3;
  harness::expect_error("f8 weight", code, "weight dtype f8e4m3", [&] { aiprod_cuda::norm(a, nullptr); });
  a.kind = 1, a.weight_dtype = 0;
  harness::expect_error("layer_norm weight", code, "takes no weight", [&] { aiprod_cuda::norm(a, nullptr); });
  a.weight = nullptr, a.d = 0;
  harness::expect_error("d 0", code, "d is 0", [&] { aiprod_cuda::norm(a, nullptr); });
  a.d = 16, a.x = nullptr;
  harness::expect_error("null x", code, "x is null", [&] { aiprod_cuda::norm(a, nullptr); });
  a.rows = 0;
  aiprod_cuda::norm(a, nullptr);  // no rows: nothing to do, no error
  a.x = x.get();
  a.kind = 6, a.outer = 1, a.channels = 6, a.inner = 4, a.groups = 4;
  harness::expect_error("groups 4 of 6", code, "groups 4 must divide channels 6", [&] { aiprod_cuda::norm(a, nullptr); });
  a.groups = 0;
  harness::expect_error("groups 0", code, "groups 0 must divide", [&] { aiprod_cuda::norm(a, nullptr); });
  a.kind = 5, a.channels = 0;
  harness::expect_error("pixel_norm c 0", code, "channels is 0", [&] { aiprod_cuda::norm(a, nullptr); });
  a.channels = 6, a.inner = 0;
  aiprod_cuda::norm(a, nullptr);  // empty: no error
  const auto g = y.download();
  EXPECT(std::isnan(g[0]), "rejected and empty calls must not write y");
}
