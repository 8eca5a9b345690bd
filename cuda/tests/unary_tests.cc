// unary: gelu_tanh, gelu_erf, silu, leaky_relu, affine, lerp, sigmoid, tanh against the CPU (aiprod::activation, aiprod::lerp on
// the scalar reference path; aiprod::affine). Arithmetic is rounded step by step as on the CPU, so leaky_relu,
// affine and lerp are bit-identical (bound 0 on the rounded output). gelu/silu use the GPU's tanhf/erff/expf
// (at most 2 ulp each, CUDA C Programming Guide, "Mathematical Functions"): gelu_tanh 0.5x(1 + tanh u): tanh's
// 2 ulp are at most 2^-23 absolute (|tanh| < 1), times 0.5|x|; u's own 4 roundings move tanh by
// sech²(u)·4u|u| <= 2u (|u| sech² u < 0.45); with the 3 outer roundings: 8u|ref| + 4u|x|. gelu_erf likewise.
// silu x/(1 + e^-x) and sigmoid 1/(1 + e^-x): e^-x 2 ulp, the add and the divide: 8u|ref|; tanh: 2 ulp, within
// 8u|ref|. bf16 outputs add half a bf16 ulp.
#include "aiprod/shape.h"
#include "pointwise_test_util.h"

using namespace pwt;

namespace {

void check(int kind, size_t n, int xdt, int x2dt, int ydt, size_t off, uint64_t seed) {
  std::vector<float> xv = harness::random_floats(n + off, seed, -5.f, 5.f);
  xv[off] = 0.f;
  if (n > 1) xv[off + 1] = -0.f;
  DevT x(xv, xdt), x2(harness::random_floats(n + off, seed + 1, -3.f, 3.f), x2dt), y(n + off, ydt);
  aiprod_cuda_unary_args a{};
  a.kind = kind;
  a.x = static_cast<char*>(x.get()) + off * esize(xdt), a.x_dtype = xdt;
  a.x2 = kind == 5 ? static_cast<char*>(x2.get()) + off * esize(x2dt) : nullptr, a.x2_dtype = x2dt;
  a.y = static_cast<char*>(y.get()) + off * esize(ydt), a.y_dtype = ydt;
  a.n = n;
  a.param = kind == 3 ? 0.2f : kind == 4 ? 1.7f : 0.3f;
  a.param2 = -0.25f;
  aiprod_cuda::unary(a, nullptr);
  std::vector<float> got = y.download();
  got.erase(got.begin(), got.begin() + long(off));
  std::vector<float> ref(n);
  const aiprod::FloatIn xi{x.vals.data() + off, aiprod::DType::F32};
  const aiprod::FloatOut yo{ref.data(), aiprod::DType::F32};
  {
    RefIsa guard;
    if (kind <= 3) aiprod::activation(aiprod::Activation(kind), a.param, xi, yo, n);
    if (kind == 6) aiprod::activation(aiprod::Activation::Sigmoid, 0.f, xi, yo, n);
    if (kind == 7) aiprod::activation(aiprod::Activation::Tanh, 0.f, xi, yo, n);
    if (kind == 4) aiprod::affine(xi, a.param, a.param2, yo, n);
    if (kind == 5) aiprod::lerp(xi, {x2.vals.data() + off, aiprod::DType::F32}, a.param, yo, n);
  }
  static const char* names[] = {"gelu_tanh", "gelu_erf", "silu", "leaky_relu", "affine", "lerp", "sigmoid", "tanh"};
  char what[160];
  std::snprintf(what, sizeof what, "unary %s n %zu x %s%s%s y %s%s", names[kind], n, dn(xdt), kind == 5 ? " x2 " : "",
                kind == 5 ? dn(x2dt) : "", dn(ydt), off ? " misaligned" : "");
  if (kind >= 3 && kind <= 5) {
    harness::expect_close(what, got, rounded(ref, ydt), 0, 0);
    return;
  }
  std::vector<double> bound(n);
  for (size_t i = 0; i < n; ++i) {
    const double r = std::fabs(ref[i]), xa = std::fabs(x.vals[off + i]);
    bound[i] = kind == 2 || kind >= 6 ? 8 * kU * r : 8 * kU * r + 4 * kU * xa;
  }
  harness::expect_within(what, got, ref, out_bounds(ref, bound, ydt));
}

}  // namespace

KERNEL_TEST(unary_ops_match_cpu) {
  // n: 1, 7 (all tail), 64 (4-wide), 1027 (4-wide + tail); misaligned pointers take the scalar path.
  const size_t ns[] = {1, 7, 64, 1027};
  uint64_t seed = 1;
  for (int kind = 0; kind <= 7; ++kind) {
    for (size_t i = 0; i < 4; ++i) {
      const int xdt = (kind + i) % 2 ? kBF16 : kF32, ydt = (kind + i / 2) % 2 ? kBF16 : kF32, x2dt = i % 2 ? kF32 : kBF16;
      check(kind, ns[i], xdt, x2dt, ydt, 0, seed++);
    }
    check(kind, 100, kF32, kBF16, kF32, 1, seed++);
    check(kind, 100, kBF16, kBF16, kBF16, 1, seed++);
  }
}

KERNEL_TEST(unary_rejects_bad_arguments) {
  DevT t(std::vector<float>(8, 1.f), kF32);
  aiprod_cuda_unary_args a{};
  a.x = t.get(), a.y = t.get(), a.n = 8;
  const int code = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  auto call = [&] { aiprod_cuda::unary(a, nullptr); };  // with a as it is at each check
  a.kind = 8;
  harness::expect_error("kind 8", code, "unknown kind 8", call);
  a.kind = 0, a.x_dtype = AIPROD_CUDA_F8E4M3;
  harness::expect_error("f8 x", code, "x dtype f8e4m3", call);
  a.x_dtype = 0, a.kind = 5;
  harness::expect_error("lerp without x2", code, "x2 is null", call);
  a.x2 = t.get(), a.x2_dtype = -1;
  harness::expect_error("x2 dtype -1", code, "x2 dtype unknown dtype (code -1)", call);
  a.x2_dtype = 0, a.n = 0, a.x = nullptr;
  aiprod_cuda::unary(a, nullptr);  // empty: no error
}
