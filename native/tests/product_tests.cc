// GEMM, attention and convolution on every ISA path against the ref path, on fresh random shapes and inputs
// each run (the seed is printed, and AIPROD_TEST_SEED reproduces a run), with unaligned input pointers.
// Bounds: products 4·K·2^-24·Σ|a·b| per element; attention 4e-5·max|v| (f32) or 4e-3·max|v| (bf16 inputs).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "aiprod/attention.h"
#include "aiprod/conv.h"
#include "aiprod/gemm.h"
#include "aiprod/half.h"
#include "aiprod/kernels.h"
#include "check.h"
#include "../kernels/conv/conv3d_paths.h"

using namespace aiprod;
using aiprod_test::expect;
using aiprod_test::g_checks;
using aiprod_test::g_failures;

static std::vector<float> randn(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n + 1);  // one spare element: callers use offset 1 for unaligned starts
  for (auto& x : v) x = d(rng);
  return v;
}

static size_t pick(std::mt19937& rng, size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng); }

// Runs fn on the ref path, then on `isa`, and restores `isa`.
template <typename Fn>
static void on_ref(Isa isa, Fn fn) {
  select_isa(Isa::Ref);
  fn();
  select_isa(isa);
}

static void check_linear(Isa isa, std::mt19937& rng) {
  for (int rep = 0; rep < 6; ++rep) {
    const size_t m = pick(rng, 1, 200), k = pick(rng, 1, 700), n = pick(rng, 1, 150);
    const DType wdt = rep % 3 == 0 ? DType::F32 : (rep % 3 == 1 ? DType::BF16 : DType::F8E4M3);
    std::vector<float> x = randn(m * k, rng), wf = randn(n * k, rng), bias = randn(n, rng), gate = randn(m * n, rng);
    std::vector<uint16_t> w16(n * k);
    std::vector<uint8_t> w8(n * k);
    for (size_t i = 0; i < n * k; ++i) w16[i] = f32_to_bf16(wf[i]), w8[i] = f32_to_f8e4m3(wf[i] * 16.0f);
    const void* w = wdt == DType::F32 ? static_cast<const void*>(wf.data()) : wdt == DType::BF16 ? static_cast<const void*>(w16.data()) : static_cast<const void*>(w8.data());
    std::vector<float> want(m * n), got(m * n);
    LinearArgs a{x.data() + 1, m, k, n, w, wdt, wdt == DType::F8E4M3 ? 0.0625f : 1.0f, want.data(), {}};
    a.epi.bias = rep & 1 ? bias.data() : nullptr;
    a.epi.gate = rep & 2 ? gate.data() : nullptr;
    on_ref(isa, [&] { linear(a); });
    a.y = got.data();
    linear(a);
    double worst = 0;
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        double mag = 0;
        for (size_t p = 0; p < k; ++p) mag += std::fabs(double(x[1 + i * k + p]) * double(wf[j * k + p]) * (wdt == DType::F8E4M3 ? 1.1 : 1.01));
        mag = mag * (a.epi.gate ? std::fabs(gate[i * n + j]) : 1.0) + (a.epi.bias ? std::fabs(bias[j]) : 0.0);
        worst = std::max(worst, std::fabs(double(got[i * n + j]) - want[i * n + j]) / (4.0 * k * std::ldexp(1.0, -24) * mag + 1e-30));
      }
    }
    expect(worst <= 1.0, std::string("linear ") + isa_name(isa) + " " + dtype_name(wdt) + " M=" + std::to_string(m) + " K=" +
                             std::to_string(k) + " N=" + std::to_string(n) + " worst " + std::to_string(worst));
  }
}

static void check_attention(Isa isa, std::mt19937& rng) {
  for (int rep = 0; rep < 4; ++rep) {
    const size_t hkv = pick(rng, 1, 2), h = hkv * pick(rng, 1, 2), nq = pick(rng, 1, 150), nk = pick(rng, 1, 600);
    // rep 0: a head dim that is a multiple of 8 (the narrow Vᵀ tile on AVX-512); others: any
    const size_t d = rep == 0 ? 8 * pick(rng, 1, 16) : pick(rng, 1, 130);
    std::vector<float> q = randn(h * nq * d, rng), k = randn(hkv * nk * d, rng), v = randn(hkv * nk * d, rng);
    const bool bf16 = rep == 3;
    if (bf16) {
      for (auto* t : {&q, &k, &v})
        for (auto& e : *t) e = bf16_to_f32(f32_to_bf16(e));
    }
    std::vector<float> want(h * nq * d), got(h * nq * d);
    AttentionArgs a{q.data() + 1, k.data() + 1, v.data() + 1, want.data(), 1, h, hkv, nq, nk, d, float(1.0 / std::sqrt(double(d)))};
    a.causal = rep == 1;
    a.window = rep == 2 ? pick(rng, 1, 40) : 0;
    a.bf16 = bf16;
    on_ref(isa, [&] { attention(a); });
    a.out = got.data();
    attention(a);
    float maxv = 0, worst = 0;
    for (float e : v) maxv = std::max(maxv, std::fabs(e));
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
    expect(worst <= (bf16 ? 4e-3f : 4e-5f) * maxv, std::string("attention ") + isa_name(isa) + " H=" + std::to_string(h) + "/" + std::to_string(hkv) +
                                                        " Nq=" + std::to_string(nq) + " Nk=" + std::to_string(nk) + " D=" + std::to_string(d) +
                                                        (bf16 ? " bf16" : "") + " worst " + std::to_string(worst));
  }
}

// The fused attention score kernel (GemmKernels::score_exp, AVX-512 only) against float64: p = 2^(S - m) for random
// K rows (lda > kc), a packed Q panel, 1..MR rows, per-query references m from far below the scores (weights near
// 2^40) to far above (weights that underflow to 0), and queries whose weights overflow (S - m >= 129: +inf).
// Inputs lie on grids that make every partial sum exact in f32 (a, b multiples of 1/8 in [-2, 2]; m a multiple of
// 2^-13 below 2^10; |S - m| < 2^11): the only error left is the exp's, so the bound is tight, 4e-7 relative.
static void check_score_exp(Isa isa, std::mt19937& rng) {
  const GemmKernels* kt = gemm_kernels();
  if (!kt || !kt->score_exp) return;
  const size_t MR = kt->mr, NR = kt->nr;
  for (int rep = 0; rep < 6; ++rep) {
    const size_t kc = pick(rng, 1, 160), lda = kc + pick(rng, 0, 9), mr = pick(rng, 1, MR);
    auto grid = [](float x, float step, float lim) { return std::clamp(std::round(x / step) * step, -lim, lim); };
    std::vector<float> a = randn(MR * lda, rng);
    for (auto& e : a) e = grid(e, 0.125f, 2.0f);
    auto aligned = [](size_t n) { return std::vector<float>(n + 16); };
    std::vector<float> bstore = aligned(kc * NR), pstore = aligned(MR * NR);
    auto align64 = [](std::vector<float>& v) { return reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(v.data()) + 63) & ~uintptr_t(63)); };
    float *bp = align64(bstore), *p = align64(pstore);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (size_t e = 0; e < kc * NR; ++e) bp[e] = grid(nd(rng), 0.125f, 2.0f);
    std::vector<double> s(MR * NR);
    for (size_t r = 0; r < MR; ++r)
      for (size_t c = 0; c < NR; ++c)
        for (size_t q = 0; q < kc; ++q) s[r * NR + c] += double(a[1 + r * lda + q]) * bp[q * NR + c];
    std::vector<float> m(NR), sum(NR), sum0(NR);
    for (size_t c = 0; c < NR; ++c) {
      const double offset = c % 8 == 0 ? -40.0 : c % 8 == 1 ? 150.0 : c % 8 == 2 ? -140.0 : 12.0 * nd(rng);
      m[c] = grid(float(s[c] + offset), 1.0f / 8192.0f, 1000.0f);  // relative to row 0's score
      sum[c] = sum0[c] = std::fabs(nd(rng));
    }
    kt->score_exp(kc, a.data() + 1, lda, bp, p, mr, m.data(), sum.data());
    double worst = 0;
    bool specials = true;
    std::vector<double> want_sum(sum0.begin(), sum0.end());
    std::vector<bool> in_range(NR, true);  // sums are compared where every weight of the column was
    for (size_t r = 0; r < mr; ++r)
      for (size_t c = 0; c < NR; ++c) {
        const double x = s[r * NR + c] - m[c], got = p[r * NR + c];
        if (x >= 129.0) {
          specials = specials && std::isinf(got) && got > 0;
          in_range[c] = false;
        } else if (x <= -150.0) {
          specials = specials && got == 0.0;
        } else if (x < 127.0 && x > -125.0) {
          const double want = std::exp2(x);
          worst = std::max(worst, std::fabs(got - want) / (want * 4e-7));
          want_sum[c] += want;
        } else {
          in_range[c] = false;
        }
      }
    double worst_sum = 0;
    for (size_t c = 0; c < NR; ++c)
      if (in_range[c]) worst_sum = std::max(worst_sum, std::fabs(sum[c] - want_sum[c]) / want_sum[c]);
    const std::string what = std::string("score_exp ") + isa_name(isa) + " kc=" + std::to_string(kc) + " lda=" + std::to_string(lda) + " mr=" + std::to_string(mr);
    expect(worst <= 1.0, what + " weights worst " + std::to_string(worst) + " of the bound");
    expect(specials, what + ": weights past 2^129 must be +inf and below 2^-150 exactly 0");
    expect(worst_sum <= 1e-4, what + " sums rel err " + std::to_string(worst_sum));
  }
}

// Winograd F(2x2, 3x3) (conv3d_winograd.cc): 3x3 spatial kernels, unit spatial stride, Cin >= 32, Cout >= 48; odd
// H and W (partial edge tiles) or even ones, every padding mode per rep, temporal kernel 1-3 and stride 1-2, batch
// 2. Bound per output, against Σ|w||x| (the ref path run on |x|, |w|): 36·K·2^-24·Σ|w||x|, i.e. 4x the direct
// path's 4·K·2^-24 bound, times 9 for the transforms: V = Bᵀ d B sums up to 4 inputs (|V| <= 4 max|d|), U = G g Gᵀ
// up to 9/4 of the weights, and each output sums 9 of the 16 points of M, so the products the GEMM rounds are up to
// ~9x larger than the direct terms; the few extra roundings of the transforms are within the 4x.
static void check_conv_winograd(Isa isa, std::mt19937& rng) {
  double worst_all = 0;
  for (int rep = 0; rep < 8; ++rep) {
    // reps 6-7: a V budget of one frame forces output frames one at a time through the V frame ring
    const bool chunked = rep >= 6;
    Conv3dArgs a{};
    a.batch = 2, a.cin = pick(rng, 32, 64), a.cout = pick(rng, 48, 80);
    a.k[0] = pick(rng, 1, 3), a.k[1] = a.k[2] = 3;
    a.stride[0] = pick(rng, 1, 2);
    a.in[0] = chunked ? pick(rng, 5, 9) : pick(rng, 3, 6);
    for (int i = 1; i < 3; ++i) a.in[i] = rep < 4 || chunked ? 2 * pick(rng, 2, 7) + 1 : 2 * pick(rng, 2, 7);  // odd, even
    a.pad_front[0] = rep % 2 ? a.k[0] - 1 : pick(rng, 0, 1), a.pad_back[0] = rep % 2 ? 0 : a.pad_front[0];  // causal or not
    a.mode[0] = rep % 2 ? PadMode::Replicate : PadMode(pick(rng, 0, 2));
    for (int i = 1; i < 3; ++i) {
      a.pad_front[i] = a.pad_back[i] = pick(rng, 0, 1);
      a.mode[i] = PadMode(rep % 3);  // zeros, reflect, replicate
    }
    for (int i = 0; i < 3; ++i) a.out_size[i] = conv_out_size(a.in[i], a.pad_front[i], a.pad_back[i], a.k[i], a.stride[i]);
    const size_t xin = a.batch * a.cin * a.in[0] * a.in[1] * a.in[2], taps = a.k[0] * 9;
    const size_t nout = a.batch * a.cout * a.out_size[0] * a.out_size[1] * a.out_size[2];
    std::vector<float> x = randn(xin, rng), w = randn(a.cout * a.cin * taps, rng), bias = randn(a.cout, rng);
    std::vector<float> want(nout), got(nout), mag(nout);
    std::vector<float> xa(x.size()), wa(w.size());
    for (size_t i = 0; i < x.size(); ++i) xa[i] = std::fabs(x[i]);
    for (size_t i = 0; i < w.size(); ++i) wa[i] = std::fabs(w[i]);
    a.x = x.data() + 1, a.w = w.data(), a.bias = bias.data(), a.out = want.data();
    on_ref(isa, [&] {
      conv3d(a);
      Conv3dArgs m = a;
      m.x = xa.data() + 1, m.w = wa.data(), m.bias = nullptr, m.out = mag.data();
      conv3d(m);  // Σ|w||x| per output (in f32: within a relative 1e-4 here, far inside the bound's slack)
    });
    a.out = got.data();
    if (chunked) conv3d_winograd_set_v_budget(1);
    conv3d(a);
    if (chunked) conv3d_winograd_set_v_budget(kWinogradVBudget);
    const double K = double(a.cin * taps);
    double worst = 0;
    for (size_t i = 0; i < nout; ++i) {
      const double bound = 36.0 * K * std::ldexp(1.0, -24) * (double(mag[i]) + std::fabs(bias[(i / (nout / a.batch / a.cout)) % a.cout])) + 1e-30;
      worst = std::max(worst, std::fabs(double(got[i]) - want[i]) / bound);
    }
    worst_all = std::max(worst_all, worst);
    expect(worst <= 1.0, std::string("conv3d winograd ") + isa_name(isa) + " Cin=" + std::to_string(a.cin) + " Cout=" +
                             std::to_string(a.cout) + " k0=" + std::to_string(a.k[0]) + " st=" + std::to_string(a.stride[0]) +
                             " in=" + std::to_string(a.in[0]) + "x" + std::to_string(a.in[1]) + "x" + std::to_string(a.in[2]) +
                             " worst " + std::to_string(worst));
  }
  std::printf("# conv3d winograd %s: worst %.4f of the bound\n", isa_name(isa), worst_all);
}

static void check_conv(Isa isa, std::mt19937& rng) {
  // reps 0-3: any strides (the gathered-panel path where a spatial stride is 2); 4-6: unit spatial strides (the
  // in-place channels-last path), the last with enough channels that K is split over several micro-kernel calls.
  for (int rep = 0; rep < 7; ++rep) {
    Conv3dArgs a{};
    const bool wide = rep == 6;
    a.batch = pick(rng, 1, 2), a.cin = wide ? pick(rng, 150, 300) : pick(rng, 1, 40);
    a.cout = wide ? pick(rng, 33, 70) : pick(rng, 1, 40);
    for (int i = 0; i < 3; ++i) {
      a.in[i] = wide ? pick(rng, 3, 6) : pick(rng, 3, 12), a.k[i] = pick(rng, 1, 3);
      a.stride[i] = rep >= 4 && i > 0 ? 1 : pick(rng, 1, 2);
      a.pad_front[i] = a.pad_back[i] = pick(rng, 0, 1);
      a.mode[i] = PadMode(pick(rng, 0, 2));
      a.out_size[i] = conv_out_size(a.in[i], a.pad_front[i], a.pad_back[i], a.k[i], a.stride[i]);
    }
    const size_t xin = a.batch * a.cin * a.in[0] * a.in[1] * a.in[2], taps = a.k[0] * a.k[1] * a.k[2];
    const size_t nout = a.batch * a.cout * a.out_size[0] * a.out_size[1] * a.out_size[2];
    std::vector<float> x = randn(xin, rng), w = randn(a.cout * a.cin * taps, rng), bias = randn(a.cout, rng), want(nout), got(nout);
    a.x = x.data() + 1, a.w = w.data(), a.bias = bias.data(), a.out = want.data();
    on_ref(isa, [&] { conv3d(a); });
    a.out = got.data();
    conv3d(a);
    // |x|,|w| ~ N(0,1): bound each term by 5·5 (fresh-data tails aside), K = Cin·taps terms
    double worst = 0;
    const double bound = 4.0 * a.cin * taps * std::ldexp(1.0, -24) * (25.0 * a.cin * taps) + 1e-6;
    for (size_t i = 0; i < nout; ++i) worst = std::max(worst, std::fabs(double(got[i]) - want[i]) / bound);
    expect(worst <= 1.0, std::string("conv3d ") + isa_name(isa) + " Cin=" + std::to_string(a.cin) + " Cout=" + std::to_string(a.cout) +
                             " worst " + std::to_string(worst));
  }
  check_conv_winograd(isa, rng);
}

int main() {
  const char* env = std::getenv("AIPROD_TEST_SEED");
  const unsigned seed = env ? unsigned(std::strtoul(env, nullptr, 10))
                            : unsigned(std::chrono::steady_clock::now().time_since_epoch().count());
  std::printf("# seed %u (AIPROD_TEST_SEED=%u reproduces this run)\n", seed, seed);
  std::mt19937 rng(seed);
  int paths = 0;
  for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
    std::string why;
    if (!isa_usable(isa, &why)) {
      std::printf("# skip %s: %s\n", isa_name(isa), why.c_str());
      continue;
    }
    select_isa(isa);
    check_linear(isa, rng);
    check_attention(isa, rng);
    check_score_exp(isa, rng);
    check_conv(isa, rng);
    ++paths;
  }
  std::printf("# %d ISA paths, %d checks, %d failures\n", paths, g_checks, g_failures);
  return g_failures ? 1 : 0;
}
