// norm kinds 7 (layer_norm_modulate) and 8 (rms_norm_modulate): the fused norm + AdaLN modulation against the
// composition of the CPU functions on their scalar reference path (aiprod::layer_norm / rms_norm, then
// aiprod::ada_ln), every f32/bf16 argument, rows 1/3/37, d 1/7/64/100/1025/8200 (warp per row, block per row
// staged, block per row unstaged; 4-wide and scalar), per-token, broadcast and wrapping table maps.
//
// What the fused op matches: it never rounds the normalized row n (it stays f32 on chip) and rounds y once.
// The CPU's unfused path rounds n to the output dtype before modulating, so for bf16 outputs the two differ by
// up to the bf16 rounding of n, carried through (1 + scale). The primary reference is therefore the CPU
// composition with an f32 intermediate (n in f32, then ada_ln to f32), with the bound derived below; a second
// check bounds the distance to the actual unfused bf16 path (n rounded to bf16, y rounded to bf16).
//
// Bounds (u = 2^-24, b16 = 2^-8 = the relative rounding error of bf16; a = fl(1 + scale), computed the same
// way by both sides; m = n·a + shift the f32-intermediate reference):
//   e_n, the error of the GPU's n against the CPU's (as in norm_tests.cc): layer_norm inv·2(d + 2)u·mean|x| +
//       |n|(d/2 + 12)u; rms_norm |n|(d/2 + 12)u (the weight product included).
//   modulation: both sides round n·a and the add once each; the GPU's n moves the result by e_n|a|:
//       |y − m| <= e_n|a|(1 + 8u) + 2.1u(|n·a| + |m|)                                    (f32 y)
//       plus b16·|m| and b16 of the f32 bound for a bf16 y (pwt::out_bounds).
//   unfused bf16 path U = bf16(fl(fl(bf16(n)·a) + shift)): |n − bf16(n)| <= b16|n|, so
//       |y − U| <= (the bound above) + b16|n·a|(1 + b16) + b16|m| + 5u(|n·a| + |m|).
#include <algorithm>
#include <cmath>

#include "pointwise_test_util.h"

using namespace pwt;

namespace {

struct FusedCase {
  int kind;  // 7 layer_norm_modulate, 8 rms_norm_modulate
  size_t rows, d;
  int xdt, ydt, wdt, sdt, hdt;  // wdt -1: no weight (kind 8 only)
  size_t sdiv, scount, hdiv, hcount;
  bool misalign = false;  // x, y and the tables one element past an aligned address: the scalar path
  bool in_place = false;  // y = x (ydt must equal xdt)
};

void check_fused(const FusedCase& c, uint64_t seed) {
  const size_t n = c.rows * c.d, off = c.misalign ? 1 : 0;
  std::vector<float> xv = harness::random_floats(n, seed, -2.f, 2.f);
  for (size_t r = 1; r < c.rows; r += 2)
    for (size_t i = 0; i < c.d; ++i) xv[r * c.d + i] += 3.0f;  // rows with a large mean (cancellation)
  auto padded = [&](std::vector<float> v) {
    if (off) v.insert(v.begin(), 0.f);
    return v;
  };
  // 1 + scale crosses 0 (scale in [-1.5, 1.5)): outputs cancel, the bounds must hold in absolute terms.
  DevT x(padded(xv), c.xdt);
  DevT sc(padded(harness::random_floats(c.scount * c.d, seed + 1, -1.5f, 1.5f)), c.sdt);
  DevT sh(padded(harness::random_floats(c.hcount * c.d, seed + 2, -2.f, 2.f)), c.hdt);
  DevT w(harness::random_floats(c.d, seed + 3, 0.5f, 1.5f), c.wdt >= 0 ? c.wdt : kF32);
  DevT y(n + off, c.ydt);
  auto at = [&](const DevT& t) { return static_cast<void*>(static_cast<char*>(t.get()) + off * esize(t.dtype)); };
  aiprod_cuda_norm_args a{};
  a.kind = c.kind;
  a.x = at(x), a.x_dtype = c.xdt;
  a.weight = c.wdt >= 0 ? w.get() : nullptr, a.weight_dtype = c.wdt >= 0 ? c.wdt : 0;
  a.y = c.in_place ? at(x) : at(y), a.y_dtype = c.ydt;
  a.rows = c.rows, a.d = c.d, a.eps = 1e-6f;
  a.scale = at(sc), a.scale_dtype = c.sdt, a.scale_div = c.sdiv, a.scale_count = c.scount;
  a.shift = at(sh), a.shift_dtype = c.hdt, a.shift_div = c.hdiv, a.shift_count = c.hcount;
  aiprod_cuda::norm(a, nullptr);
  std::vector<float> got = c.in_place ? x.download() : y.download();
  got.erase(got.begin(), got.begin() + off);

  // The values the device holds (rounded to their dtypes), without the padding.
  const std::vector<float> xin(x.vals.begin() + off, x.vals.end()), sv(sc.vals.begin() + off, sc.vals.end()),
      hv(sh.vals.begin() + off, sh.vals.end());
  std::vector<float> nref(n), ref(n), unf(n);
  const aiprod::RowMap smap{c.sdiv, c.scount}, hmap{c.hdiv, c.hcount};
  {
    RefIsa guard;
    const aiprod::FloatIn xi{xin.data(), aiprod::DType::F32}, wi = w.in();
    const aiprod::FloatOut no{nref.data(), aiprod::DType::F32};
    if (c.kind == 7) aiprod::layer_norm(xi, a.eps, no, c.rows, c.d);
    else aiprod::rms_norm(xi, c.wdt >= 0 ? &wi : nullptr, a.eps, no, c.rows, c.d);
    const aiprod::FloatIn si{sv.data(), aiprod::DType::F32}, hi{hv.data(), aiprod::DType::F32};
    aiprod::ada_ln({nref.data(), aiprod::DType::F32}, si, smap, hi, hmap, {ref.data(), aiprod::DType::F32}, c.rows, c.d);
    // The unfused path as the CPU runs it with a bf16 output: n rounded to bf16, y rounded to bf16.
    const std::vector<float> nb = rounded(nref, kBF16);
    aiprod::ada_ln({nb.data(), aiprod::DType::F32}, si, smap, hi, hmap, {unf.data(), aiprod::DType::F32}, c.rows, c.d);
    unf = rounded(unf, kBF16);
  }
  std::vector<double> bound(n), ubound(n);
  const double d = double(c.d), b16 = kHalfBf16;
  for (size_t r = 0; r < c.rows; ++r) {
    const float* xr = &xin[r * c.d];
    double s = 0, sa = 0;
    for (size_t i = 0; i < c.d; ++i) s += xr[i], sa += std::fabs(xr[i]);
    const double mean = s / d, meanabs = sa / d;
    double ss = 0;
    for (size_t i = 0; i < c.d; ++i) ss += (xr[i] - mean) * (xr[i] - mean);
    const double inv = 1.0 / std::sqrt(ss / d + a.eps);
    for (size_t i = 0; i < c.d; ++i) {
      const size_t e = r * c.d + i;
      const double nv = std::fabs(nref[e]), mv = std::fabs(ref[e]);
      const double av = std::fabs(1.0f + sv[smap.row(r) * c.d + i]);
      const double en = (c.kind == 7 ? inv * 2 * (d + 2) * kU * meanabs : 0.0) + nv * (d / 2 + 12) * kU;
      bound[e] = en * av * (1 + 8 * kU) + 2.1 * kU * (nv * av + mv);
    }
  }
  const std::vector<float> ob = out_bounds(ref, bound, c.ydt);
  char what[200];
  std::snprintf(what, sizeof what, "norm kind %d rows %zu d %zu x %s y %s w %s scale %s (%zu/%zu) shift %s (%zu/%zu)%s",
                c.kind, c.rows, c.d, dn(c.xdt), dn(c.ydt), c.wdt >= 0 ? dn(c.wdt) : "none", dn(c.sdt), c.sdiv, c.scount,
                dn(c.hdt), c.hdiv, c.hcount, c.misalign ? " misaligned" : c.in_place ? " in place" : "");
  harness::expect_within(what, got, ref, ob);
  if (c.ydt == kBF16) {
    std::vector<float> ub(n);
    for (size_t e = 0; e < n; ++e) {
      const size_t r = e / c.d, i = e % c.d;
      const double na = std::fabs(nref[e]) * std::fabs(1.0f + sv[smap.row(r) * c.d + i]), mv = std::fabs(ref[e]);
      ub[e] = float(ob[e] + b16 * na * (1 + b16) + b16 * mv + 5 * kU * (na + mv));
    }
    harness::expect_within(std::string(what) + " vs the unfused bf16 path", got, unf, ub);
  }
}

const int kDt[2] = {kF32, kBF16};

// Table maps (div, count) for `rows` rows: per token, one row for all ([D]), pairs of rows over 3 table rows
// (wrapping, like [B,1,D] with the modulo), and 2 rows alternating ([T,D] with T = 2).
void table_map(int mode, size_t rows, size_t& div, size_t& count) {
  switch (mode) {
    case 0: div = 1, count = rows; break;
    case 1: div = 1, count = 1; break;
    case 2: div = 2, count = 3; break;
    default: div = 1, count = 2; break;
  }
}

}  // namespace

KERNEL_TEST(norm_fused_matches_cpu_composition) {
  // Both kinds x rows 1, 3, 37 x d 1, 7, 64, 100 (warp per row; 64 and 100 4-wide), 1025 (block, staged,
  // scalar), 8200 (block, unstaged, 4-wide): every combination. The 5 dtypes (x, y, scale, shift; weight none/f32/bf16 for
  // rms) follow the bits of a counter, so each kind sees every dtype of every argument; the table maps cycle.
  const size_t rows_list[] = {1, 3, 37};
  const size_t d_list[] = {1, 7, 64, 100, 1025, 8200};
  uint64_t seed = 700;
  unsigned idx = 0;
  for (int kind : {7, 8}) {
    for (size_t ri = 0; ri < 3; ++ri) {
      for (size_t di = 0; di < 6; ++di, ++idx) {
        const size_t rows = rows_list[ri], d = d_list[di];
        FusedCase c{kind, rows, d, kDt[idx & 1], kDt[(idx >> 1) & 1], -1, kDt[(idx >> 2) & 1], kDt[(idx >> 3) & 1]};
        if (kind == 8) c.wdt = int((ri + di) % 3) - 1;
        table_map(int(idx % 4), rows, c.sdiv, c.scount);
        table_map(int((idx + 1 + idx / 4) % 4), rows, c.hdiv, c.hcount);
        check_fused(c, seed++);
      }
    }
  }
}

KERNEL_TEST(norm_fused_long_misaligned_and_in_place) {
  uint64_t seed = 800;
  for (int kind : {7, 8}) {
    const int w = kind == 8 ? kBF16 : -1;
    // Unstaged scalar rows (8193), staged 4-wide block rows (1028), misaligned pointers on a
    // vector-friendly d (scalar fallback), in place staged and unstaged.
    check_fused(FusedCase{kind, 2, 8193, kF32, kBF16, w, kBF16, kF32, 1, 2, 2, 1}, seed++);
    check_fused(FusedCase{kind, 37, 1028, kBF16, kF32, w, kF32, kBF16, 1, 37, 37, 1}, seed++);
    check_fused(FusedCase{kind, 5, 64, kF32, kF32, w, kBF16, kF32, 2, 3, 1, 5, true}, seed++);
    check_fused(FusedCase{kind, 3, 1028, kBF16, kBF16, w, kF32, kF32, 1, 3, 3, 1, true}, seed++);
    check_fused(FusedCase{kind, 3, 100, kBF16, kBF16, w, kBF16, kBF16, 1, 3, 1, 1, false, true}, seed++);
    check_fused(FusedCase{kind, 2, 8200, kF32, kF32, w, kF32, kF32, 2, 1, 1, 2, false, true}, seed++);
  }
}

KERNEL_TEST(norm_fused_rejects_bad_arguments) {
  DevT x(std::vector<float>(64, 1.f), kF32), y(64, kF32), t(std::vector<float>(64, 0.5f), kF32);
  const int code = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  aiprod_cuda_norm_args a{};
  a.kind = 7, a.x = x.get(), a.y = y.get(), a.rows = 4, a.d = 16, a.eps = 1e-6f;
  a.scale = t.get(), a.scale_div = 1, a.scale_count = 4;
  a.shift = t.get(), a.shift_div = 4, a.shift_count = 1;
  auto run = [&] { aiprod_cuda::norm(a, nullptr); };
  a.scale = nullptr;
  harness::expect_error("null scale", code, "scale is null for rows 4 x d 16", run);
  a.scale = t.get(), a.shift = nullptr;
  harness::expect_error("null shift", code, "shift is null", run);
  a.shift = t.get(), a.scale_div = 0;
  harness::expect_error("scale_div 0", code, "scale_div 0 and scale_count 4 must be >= 1", run);
  a.scale_div = 1, a.shift_count = 0;
  harness::expect_error("shift_count 0", code, "shift_div 4 and shift_count 0 must be >= 1", run);
  a.shift_count = 1, a.scale_dtype = AIPROD_CUDA_F16;
  harness::expect_error("f16 scale", code, "scale dtype f16", run);
  a.scale_dtype = 0, a.shift_dtype = 9;
  harness::expect_error("shift dtype 9", code, "shift dtype unknown dtype (code 9)", run);
  a.shift_dtype = 0, a.weight = t.get();
  harness::expect_error("layer_norm_modulate weight", code, "norm layer_norm_modulate: takes no weight", run);
  a.weight = nullptr, a.kind = 8, a.bias = t.get();
  harness::expect_error("rms_norm_modulate bias", code, "norm rms_norm_modulate: takes no bias", run);
  a.bias = nullptr, a.weight = t.get(), a.weight_dtype = AIPROD_CUDA_F8E4M3;
  harness::expect_error("f8 weight", code, "weight dtype f8e4m3", run);
  a.weight_dtype = 0, a.d = 0;
  harness::expect_error("d 0", code, "d is 0", run);
  a.d = 16, a.kind = 9;
  harness::expect_error("kind 9", code, "unknown kind 9", run);
  // No rows: nothing to do (missing tables included), but the maps are still checked.
  a.kind = 7, a.weight = nullptr, a.rows = 0, a.scale = nullptr;
  run();
  a.scale_count = 0;
  harness::expect_error("rows 0 scale_count 0", code, "scale_div 1 and scale_count 0", run);
  EXPECT(std::isnan(y.download()[0]), "rejected and empty calls must not write y");
  // Kinds 0-6 never read the appended fields (callers built against the shorter struct): garbage there is fine.
  a.kind = 1, a.rows = 4, a.scale = reinterpret_cast<const void*>(uintptr_t(1)), a.scale_dtype = 77;
  run();
  const auto g = y.download();
  EXPECT(g[0] == 0.f && g[63] == 0.f, "layer_norm of a constant row with garbage scale fields: got %g %g, expected 0", g[0],
         g[63]);
}
