// Every compiled ISA path of the pointwise row kernels against ref/: lengths 0..70 and a few large ones (every
// SIMD tail), unaligned pointers, in-place use (y aliasing x), and NaN propagation through the activations.
// Bounds are relative to the magnitudes involved, as in the TypeScript tests (which also check every path
// against float64 models): 2e-6 for the linear kernels, 1e-5 + 1e-6 absolute for exp/erf-based ones.
// Prints "not ok" lines and a summary; exits 1 on any failure.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "aiprod/pointwise_kernels.h"
#include "check.h"

using namespace aiprod;
using aiprod_test::expect;
using aiprod_test::g_checks;
using aiprod_test::g_failures;

static bool close(float got, float want, float rtol, float atol) {
  if (std::isnan(want)) return std::isnan(got);
  if (got == want) return true;  // also ±inf
  return std::fabs(got - want) <= atol + rtol * std::fabs(want);
}

static bool all_close(const std::vector<float>& got, const std::vector<float>& want, size_t off, size_t n, float rtol,
                      float atol) {
  for (size_t i = 0; i < n; ++i) {
    if (!close(got[off + i], want[off + i], rtol, atol)) return false;
  }
  return true;
}

static void check_path(const PointwiseKernels& k, const PointwiseKernels& r, std::mt19937& rng) {
  const std::string isa = isa_name(k.isa);
  std::uniform_real_distribution<float> u(-6.0f, 6.0f);
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 70; ++n) lengths.push_back(n);
  for (size_t n : {127, 129, 1000, 4097}) lengths.push_back(n);
  for (size_t n : lengths) {
    for (size_t off : {0, 1}) {  // off 1: every pointer misaligned
      const std::string at = isa + " n=" + std::to_string(n) + " offset=" + std::to_string(off);
      auto rnd = [&] {
        std::vector<float> v(n + off + 1);
        for (float& x : v) x = u(rng);
        return v;
      };
      const std::vector<float> x = rnd(), a = rnd(), b = rnd(), c = rnd(), s = rnd();
      std::vector<float> y(n + off + 1), want(n + off + 1);
      const float* X = x.data() + off;

      expect(close(k.sum(X, n), r.sum(X, n), 1e-5f, 1e-4f), "sum " + at);
      expect(close(k.sum_sq_dev(X, 0.5f, n), r.sum_sq_dev(X, 0.5f, n), 1e-5f, 1e-4f), "sum_sq_dev " + at);

      auto same = [&](const char* name, float rtol, float atol, auto&& run) {
        run(k, y.data() + off);
        run(r, want.data() + off);
        expect(all_close(y, want, off, n, rtol, atol), std::string(name) + " " + at);
      };
      same("scale", 2e-6f, 0, [&](const PointwiseKernels& t, float* o) { t.scale(X, 0.7f, a.data() + off, o, n); });
      same("scale without weight", 2e-6f, 0, [&](const PointwiseKernels& t, float* o) { t.scale(X, 0.7f, nullptr, o, n); });
      same("norm_affine", 2e-6f, 1e-6f, [&](const PointwiseKernels& t, float* o) { t.norm_affine(X, 0.3f, 1.7f, -0.2f, o, n); });
      same("modulate", 2e-6f, 1e-5f, [&](const PointwiseKernels& t, float* o) { t.modulate(X, a.data() + off, b.data() + off, o, n); });
      same("add_mul", 2e-6f, 1e-5f, [&](const PointwiseKernels& t, float* o) { t.add_mul(X, a.data() + off, b.data() + off, o, n); });
      same("lerp", 2e-6f, 1e-5f, [&](const PointwiseKernels& t, float* o) { t.lerp(X, a.data() + off, 0.3f, o, n); });
      same("mul", 2e-6f, 0, [&](const PointwiseKernels& t, float* o) { t.mul(X, a.data() + off, o, n); });
      same("sq_accumulate", 2e-6f, 0, [&](const PointwiseKernels& t, float* o) {
        for (size_t i = 0; i < b.size(); ++i) (o - off)[i] = std::fabs(b[i]);  // a running sum of squares is >= 0
        t.sq_accumulate(X, o, n);
      });
      for (Activation op : {Activation::GeluTanh, Activation::GeluErf, Activation::Silu, Activation::LeakyRelu, Activation::Sigmoid, Activation::Tanh}) {
        same(("activation " + std::to_string(int(op))).c_str(), 1e-5f, 1e-6f,
             [&](const PointwiseKernels& t, float* o) { t.activation(op, 0.1f, X, o, n); });
      }
      same("softmax", 1e-5f, 1e-9f, [&](const PointwiseKernels& t, float* o) { t.softmax(X, o, n); });
      if (n % 2 == 0) {
        same("rope_split", 2e-6f, 1e-5f, [&](const PointwiseKernels& t, float* o) { t.rope_split(X, c.data(), s.data(), o, n / 2); });
        same("rope_interleaved", 2e-6f, 1e-5f, [&](const PointwiseKernels& t, float* o) { t.rope_interleaved(X, c.data(), s.data(), o, n / 2); });
        // In place: y aliasing x.
        std::vector<float> inplace(x);
        k.rope_split(inplace.data() + off, c.data(), s.data(), inplace.data() + off, n / 2);
        r.rope_split(X, c.data(), s.data(), want.data() + off, n / 2);
        expect(all_close(inplace, want, off, n, 2e-6f, 1e-5f), "rope_split in place " + at);
      }
      std::vector<float> inplace(x);
      k.activation(Activation::Silu, 0, inplace.data() + off, inplace.data() + off, n);
      r.activation(Activation::Silu, 0, X, want.data() + off, n);
      expect(all_close(inplace, want, off, n, 1e-5f, 1e-6f), "silu in place " + at);
    }
  }
  // NaN in, NaN out (the exp/erf clamps must not turn NaN into a number); ±inf saturate like ref.
  const float specials[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 100.0f, -100.0f, 1e-30f};
  for (Activation op : {Activation::GeluTanh, Activation::GeluErf, Activation::Silu, Activation::LeakyRelu, Activation::Sigmoid, Activation::Tanh}) {
    float got[8], want[8];
    k.activation(op, 0.1f, specials, got, 8);
    r.activation(op, 0.1f, specials, want, 8);
    bool ok = true;
    for (int i = 0; i < 8; ++i) ok = ok && close(got[i], want[i], 1e-5f, 1e-30f);
    expect(ok, isa + " activation " + std::to_string(int(op)) + " on NaN, ±inf, ±0, ±100, 1e-30");
  }
}

int main() {
  std::mt19937 rng(1234);
  int paths = 0;
  const PointwiseKernels& r = ref_pointwise_kernels();
  for (Isa isa : {Isa::Ref, Isa::Avx2, Isa::Avx512}) {
    std::string why;
    if (!isa_usable(isa, &why)) {
      std::printf("# skip %s: %s\n", isa_name(isa), why.c_str());
      continue;
    }
    const PointwiseKernels* k = isa == Isa::Ref ? &r : isa == Isa::Avx2 ? avx2_pointwise_kernels() : avx512_pointwise_kernels();
    ++paths;
    check_path(*k, r, rng);
  }
  std::printf("# %d ISA paths, %d checks, %d failures\n", paths, g_checks, g_failures);
  return g_failures ? 1 : 0;
}
