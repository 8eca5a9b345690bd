// The pointwise row kernels written once over a vector-traits type V (AVX2: 8 lanes, AVX-512: 16 lanes).
// Included only by the per-ISA files, which are the only ones compiled with the matching flags; each defines
// V and instantiates make_pointwise_table<V>(). Tails use masked loads/stores so no element takes a scalar
// detour (except the few leftover pairs of interleaved RoPE).
//
// V provides: R (register), W (lanes), load/store, loadn/storen (first n lanes, rest filled), set1,
// add/sub/mul/div/fmadd(a,b,c)=a·b+c/fnmadd(a,b,c)=c−a·b, min/max (NaN in the second operand propagates),
// hsum/hmax, round (to nearest), pow2 (2^n for integral float n in [-126,128]; 128 gives +inf), select_ge0(x,a,b) = x>=0?a:b,
// load_pairs(p) (W/2 floats each duplicated: c0 c0 c1 c1 ...), swap_pairs, fmaddsub(a,b,c) (even a·b−c,
// odd a·b+c).
#pragma once
#include <cmath>
#include <cstddef>

#include "aiprod/pointwise_kernels.h"

namespace aiprod {
namespace simd {

// exp(x), Cephes expf: range reduction by ln2 split in two constants, degree-6 polynomial, scale by 2^n.
// Relative error below 2 ulp. Inputs are clamped to [-87, 89]: below, exp(-87) ≈ 1.6e-38 stands in for smaller
// results (every caller adds it to 1 or to a sum ≥ 1, where it is far below half an ulp); above 88.38, n = 128
// makes 2^n the bit pattern of +inf, so the result overflows to +inf (true overflow is at 88.72; callers only
// divide by such values, where the quotient is below 1e-36 either way). Overflowing like <cmath> keeps
// silu(−inf) and gelu(−inf) NaN (−inf/inf), as in ref and PyTorch. NaN passes through (max/min keep a NaN
// second operand).
template <class V>
inline typename V::R exp(typename V::R x) {
  using R = typename V::R;
  x = V::min(V::set1(89.0f), V::max(V::set1(-87.0f), x));
  const R n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  R r = V::fnmadd(n, V::set1(0.693359375f), x);
  r = V::fnmadd(n, V::set1(-2.12194440e-4f), r);
  R p = V::set1(1.9875691500e-4f);
  p = V::fmadd(p, r, V::set1(1.3981999507e-3f));
  p = V::fmadd(p, r, V::set1(8.3334519073e-3f));
  p = V::fmadd(p, r, V::set1(4.1665795894e-2f));
  p = V::fmadd(p, r, V::set1(1.6666665459e-1f));
  p = V::fmadd(p, r, V::set1(5.0000001201e-1f));
  const R y = V::add(V::fmadd(V::mul(p, r), r, r), V::set1(1.0f));
  return V::mul(y, V::pow2(n));
}

// erf(x) as x·P(x²)/Q(x²) on [-4, 4] (outside, erf is ±1 in f32): the rational approximation Eigen and XLA
// use for float; absolute error about 1e-7 (checked against the float64 definition in the tests).
template <class V>
inline typename V::R erf(typename V::R x) {
  using R = typename V::R;
  x = V::min(V::set1(4.0f), V::max(V::set1(-4.0f), x));
  const R x2 = V::mul(x, x);
  R p = V::set1(-2.72614225801306e-10f);
  p = V::fmadd(p, x2, V::set1(2.77068142495902e-08f));
  p = V::fmadd(p, x2, V::set1(-2.10102402082508e-06f));
  p = V::fmadd(p, x2, V::set1(-5.69250639462346e-05f));
  p = V::fmadd(p, x2, V::set1(-7.34990630326855e-04f));
  p = V::fmadd(p, x2, V::set1(-2.95459980854025e-03f));
  p = V::fmadd(p, x2, V::set1(-1.60960333262415e-02f));
  R q = V::set1(-1.45660718464996e-05f);
  q = V::fmadd(q, x2, V::set1(-2.13374055278905e-04f));
  q = V::fmadd(q, x2, V::set1(-1.68282697438203e-03f));
  q = V::fmadd(q, x2, V::set1(-7.37332916720468e-03f));
  q = V::fmadd(q, x2, V::set1(-1.42647390514189e-02f));
  return V::div(V::mul(x, p), q);
}

template <class V>
inline typename V::R activate(Activation op, typename V::R x, typename V::R param) {
  using R = typename V::R;
  const R one = V::set1(1.0f);
  switch (op) {
    case Activation::GeluTanh: {
      // 0.5·x·(1+tanh(u)) = x·sigmoid(2u) = x / (1 + e^(−2u)): exact identity, no tanh and no cancellation.
      const R x3 = V::mul(V::mul(x, x), x);
      const R u2 = V::mul(V::set1(-1.5957691216057308f), V::fmadd(V::set1(0.044715f), x3, x));  // −2·sqrt(2/π)
      return V::div(x, V::add(one, exp<V>(u2)));
    }
    case Activation::GeluErf: {
      const R e = erf<V>(V::mul(x, V::set1(0.7071067811865476f)));
      return V::mul(V::mul(V::set1(0.5f), x), V::add(one, e));
    }
    case Activation::Silu: return V::div(x, V::add(one, exp<V>(V::sub(V::set1(0.0f), x))));
    case Activation::LeakyRelu: return V::select_ge0(x, x, V::mul(x, param));
    case Activation::Sigmoid: return V::div(one, V::add(one, exp<V>(V::sub(V::set1(0.0f), x))));
    // tanh(x) = 2·sigmoid(2x) − 1: saturates to ±1 where exp over/underflows, absolute error a few ulps of 1.
    case Activation::Tanh: return V::sub(V::div(V::set1(2.0f), V::add(one, exp<V>(V::mul(V::set1(-2.0f), x)))), one);
  }
  return x;
}

template <class V>
struct Kernels {
  using R = typename V::R;
  static constexpr size_t W = V::W;

  static float sum(const float* x, size_t n) {
    R a0 = V::set1(0.0f), a1 = V::set1(0.0f);
    size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
      a0 = V::add(a0, V::load(x + i));
      a1 = V::add(a1, V::load(x + i + W));
    }
    for (; i < n; i += W) a0 = V::add(a0, V::loadn(x + i, n - i, 0.0f));
    return V::hsum(V::add(a0, a1));
  }

  static float sum_sq_dev(const float* x, float c, size_t n) {
    const R vc = V::set1(c);
    R a0 = V::set1(0.0f), a1 = V::set1(0.0f);
    size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
      const R d0 = V::sub(V::load(x + i), vc), d1 = V::sub(V::load(x + i + W), vc);
      a0 = V::fmadd(d0, d0, a0);
      a1 = V::fmadd(d1, d1, a1);
    }
    for (; i < n; i += W) {
      const R d = V::sub(V::loadn(x + i, n - i, c), vc);  // fill with c: those lanes add 0
      a0 = V::fmadd(d, d, a0);
    }
    return V::hsum(V::add(a0, a1));
  }

  static void scale(const float* x, float s, const float* w, float* y, size_t n) {
    const R vs = V::set1(s);
    for (size_t i = 0; i < n; i += W) {
      const size_t m = n - i;
      R v = V::mul(V::loadn(x + i, m, 0.0f), vs);
      if (w) v = V::mul(v, V::loadn(w + i, m, 0.0f));
      V::storen(y + i, v, m);
    }
  }

  static void norm_affine(const float* x, float c, float a, float b, float* y, size_t n) {
    const R vc = V::set1(c), va = V::set1(a), vb = V::set1(b);
    for (size_t i = 0; i < n; i += W) {
      const size_t m = n - i;
      V::storen(y + i, V::fmadd(V::sub(V::loadn(x + i, m, 0.0f), vc), va, vb), m);
    }
  }

  static void modulate(const float* x, const float* sc, const float* sh, float* y, size_t n) {
    const R one = V::set1(1.0f);
    for (size_t i = 0; i < n; i += W) {
      const size_t m = n - i;
      const R s1 = V::add(one, V::loadn(sc + i, m, 0.0f));
      V::storen(y + i, V::fmadd(V::loadn(x + i, m, 0.0f), s1, V::loadn(sh + i, m, 0.0f)), m);
    }
  }

  static void add_mul(const float* r, const float* x, const float* g, float* y, size_t n) {
    for (size_t i = 0; i < n; i += W) {
      const size_t m = n - i;
      V::storen(y + i, V::fmadd(V::loadn(x + i, m, 0.0f), V::loadn(g + i, m, 0.0f), V::loadn(r + i, m, 0.0f)), m);
    }
  }

  static void lerp(const float* a, const float* b, float t, float* y, size_t n) {
    const R vt = V::set1(t);
    for (size_t i = 0; i < n; i += W) {
      const size_t m = n - i;
      const R va = V::loadn(a + i, m, 0.0f);
      V::storen(y + i, V::fmadd(vt, V::sub(V::loadn(b + i, m, 0.0f), va), va), m);
    }
  }

  static void sq_accumulate(const float* x, float* acc, size_t n) {
    for (size_t i = 0; i < n; i += W) {
      const size_t m = n - i;
      const R v = V::loadn(x + i, m, 0.0f);
      V::storen(acc + i, V::fmadd(v, v, V::loadn(acc + i, m, 0.0f)), m);
    }
  }

  static void mul(const float* x, const float* s, float* y, size_t n) {
    for (size_t i = 0; i < n; i += W) {
      const size_t m = n - i;
      V::storen(y + i, V::mul(V::loadn(x + i, m, 0.0f), V::loadn(s + i, m, 0.0f)), m);
    }
  }

  static void activation(Activation op, float param, const float* x, float* y, size_t n) {
    const R vp = V::set1(param);
    for (size_t i = 0; i < n; i += W) {
      const size_t m = n - i;
      V::storen(y + i, activate<V>(op, V::loadn(x + i, m, 0.0f), vp), m);
    }
  }

  static void softmax(const float* x, float* y, size_t n) {
    if (n == 0) return;
    R vm = V::set1(-INFINITY);
    for (size_t i = 0; i < n; i += W) vm = V::max(vm, V::loadn(x + i, n - i, -INFINITY));
    const R m = V::set1(V::hmax(vm));
    R acc = V::set1(0.0f);
    for (size_t i = 0; i < n; i += W) {
      const size_t k = n - i;
      // Tail lanes load −inf: exp clamps them to ~1e-38, so they are masked off before the sum.
      const R e = exp<V>(V::sub(V::loadn(x + i, k, -INFINITY), m));
      V::storen(y + i, e, k);
      acc = V::add(acc, V::loadn(y + i, k, 0.0f));
    }
    const R inv = V::set1(1.0f / V::hsum(acc));
    for (size_t i = 0; i < n; i += W) V::storen(y + i, V::mul(V::loadn(y + i, n - i, 0.0f), inv), n - i);
  }

  static void rope_split(const float* x, const float* c, const float* s, float* y, size_t half) {
    for (size_t i = 0; i < half; i += W) {
      const size_t m = half - i;
      const R a = V::loadn(x + i, m, 0.0f), b = V::loadn(x + half + i, m, 0.0f);
      const R vc = V::loadn(c + i, m, 0.0f), vs = V::loadn(s + i, m, 0.0f);
      const R ya = V::fnmadd(b, vs, V::mul(a, vc));  // a·c − b·s
      const R yb = V::fmadd(a, vs, V::mul(b, vc));   // b·c + a·s
      V::storen(y + i, ya, m);  // y may alias x: both halves are loaded before either is stored
      V::storen(y + half + i, yb, m);
    }
  }

  static void rope_interleaved(const float* x, const float* c, const float* s, float* y, size_t half) {
    size_t i = 0;  // pair index
    for (; i + W / 2 <= half; i += W / 2) {
      const R v = V::load(x + 2 * i);
      const R cd = V::load_pairs(c + i), sd = V::load_pairs(s + i);
      // even lanes: a·c − b·s; odd lanes: b·c + a·s, with swap_pairs(v) = (b, a, ...)
      V::store(y + 2 * i, V::fmaddsub(v, cd, V::mul(V::swap_pairs(v), sd)));
    }
    for (; i < half; ++i) {
      const float a = x[2 * i], b = x[2 * i + 1];
      y[2 * i] = a * c[i] - b * s[i];
      y[2 * i + 1] = b * c[i] + a * s[i];
    }
  }
};

template <class V>
PointwiseKernels make_pointwise_table(Isa isa) {
  using K = Kernels<V>;
  return PointwiseKernels{isa,         K::sum,          K::sum_sq_dev, K::scale,      K::norm_affine,
                          K::modulate, K::add_mul,      K::lerp,       K::sq_accumulate, K::mul,
                          K::activation, K::softmax,    K::rope_split, K::rope_interleaved};
}

}  // namespace simd
}  // namespace aiprod
