// conv_transpose1d against aiprod::conv_transpose1d_ref on random inputs (PyTorch ConvTranspose1d).
// Bound per output element, u = 2^-24, S = |bias| + sum over the contributing (ci, k) of |x||w| (the
// reference run on |x|, |w|, |bias|): both sides add the same exact f32 inputs in f32, the kernel with fma
// and the bias last, each within n u S of the exact sum for n <= Cin*K + 1 terms: 2 (Cin*K + 1) u S (+1%).
#include <cmath>
#include <string>

#include "aiprod/conv.h"
#include "conv_test_util.h"
#include "harness.h"

using harness::DeviceBuffer;

namespace {

struct Case {
  const char* name;
  size_t batch, cin, len, cout, k, stride, padding, output_padding, dilation;
  bool bias;
};

size_t out_len(const Case& c) {
  return aiprod::conv_transpose1d_out_len(c.len, c.k, c.stride, c.padding, c.output_padding, c.dilation);
}

aiprod_cuda_conv_transpose1d_args gpu_args(const Case& c, const float* x, const float* w, const float* bias, float* out) {
  aiprod_cuda_conv_transpose1d_args a{};
  a.x = x;
  a.batch = c.batch;
  a.cin = c.cin;
  a.len = c.len;
  a.w = w;
  a.cout = c.cout;
  a.k = c.k;
  a.bias = bias;
  a.stride = c.stride;
  a.padding = c.padding;
  a.output_padding = c.output_padding;
  a.dilation = c.dilation;
  a.out = out;
  a.out_len = out_len(c);
  return a;
}

void run_case(const Case& c, uint64_t seed, bool quiet = false) {
  const size_t L = out_len(c), nout = c.batch * c.cout * L;
  const std::vector<float> x = harness::random_floats(c.batch * c.cin * c.len, seed);
  const std::vector<float> w = harness::random_floats(c.cin * c.cout * c.k, seed + 1, -0.5f, 0.5f);
  const std::vector<float> bias = harness::random_floats(c.cout, seed + 2);
  auto ref_run = [&](const std::vector<float>& xs, const std::vector<float>& ws, const std::vector<float>& bs) {
    std::vector<float> out(nout);
    aiprod::ConvTranspose1dArgs r;
    r.x = xs.data();
    r.batch = c.batch;
    r.cin = c.cin;
    r.len = c.len;
    r.w = ws.data();
    r.cout = c.cout;
    r.k = c.k;
    r.bias = c.bias ? bs.data() : nullptr;
    r.stride = c.stride;
    r.padding = c.padding;
    r.output_padding = c.output_padding;
    r.dilation = c.dilation;
    r.out = out.data();
    r.out_len = L;
    aiprod::conv_transpose1d_ref(r);
    return out;
  };
  auto absv = [](std::vector<float> v) {
    for (float& f : v) f = std::fabs(f);
    return v;
  };
  const std::vector<float> ref = ref_run(x, w, bias), S = ref_run(absv(x), absv(w), absv(bias));
  DeviceBuffer<float> xd(x), wd(w), bd(bias), od(nout);
  od.fill_bytes(0xFF);
  aiprod_cuda::conv_transpose1d(gpu_args(c, xd.get(), wd.get(), c.bias ? bd.get() : nullptr, od.get()), nullptr);
  const std::vector<float> got = od.download();
  std::vector<float> bound(nout);
  const double rel = 2.0 * double(c.cin * c.k + 1) * std::ldexp(1.0, -24) * 1.01;
  for (size_t i = 0; i < nout; ++i) bound[i] = float(rel * S[i]);
  if (!quiet) {
    harness::expect_within(c.name, got, ref, bound);
    return;
  }
  size_t bad = 0;  // the many small shapes: only failures are reported
  for (size_t i = 0; i < nout; ++i) bad += !(std::fabs(got[i] - ref[i]) <= bound[i]);
  EXPECT(bad == 0, "%s: %zu of %zu outputs out of bounds", c.name, bad, nout);
}

}  // namespace

KERNEL_TEST(conv_transpose1d_matches_reference) {
  // LTX-2-like upsampling (k 4, stride 2, padding 1), batch 2, bias; out_len 18.
  run_case({"k4 s2 p1", 2, 5, 9, 7, 4, 2, 1, 0, 1, true}, 1);
  // output_padding 1 < stride 2, odd kernel.
  run_case({"k3 s2 p1 op1", 1, 3, 5, 48, 3, 2, 1, 1, 1, false}, 2);
  // stride 3 with dilation 2 (taps skip positions), output_padding 2 < stride, Cout 1.
  run_case({"k4 s3 d2 op2", 2, 3, 9, 1, 4, 3, 0, 2, 2, true}, 3);
  // output_padding 2 >= stride 1 but < dilation 3; a single input position; Cin 33; 130+ outputs: two
  // blocks along t.
  run_case({"L1 k5 d3 op2", 1, 33, 1, 7, 5, 1, 0, 2, 3, true}, 4);
  run_case({"k5 s1 p2 d3", 1, 33, 130, 5, 5, 1, 2, 0, 3, true}, 5);
  // kernel 1, stride 1: a pointwise channel mix; and a stride larger than the kernel (gaps of bias only).
  run_case({"k1 s1", 2, 5, 9, 7, 1, 1, 0, 0, 1, true}, 6);
  run_case({"k2 s5 p3", 1, 5, 5, 7, 2, 5, 3, 4, 1, true}, 7);
}

// The taps that land on an output form an arithmetic progression in k (step stride / gcd(stride, dilation)),
// clipped by 0 <= i < len: every combination of co-prime and common-factor strides and dilations, kernels
// shorter and longer than the stride, padding that cuts taps off, and single-element inputs.
KERNEL_TEST(conv_transpose1d_tap_progressions) {
  uint64_t seed = 100;
  int cases = 0;
  for (size_t stride : {1, 2, 3, 4, 6})
    for (size_t dilation : {1, 2, 3, 4})
      for (size_t k : {1, 2, 5, 9})
        for (size_t padding : {0, 3})
          for (size_t len : {1, 4}) {
            const size_t op = stride > 1 ? stride - 1 : 0;
            if (aiprod::conv_transpose1d_out_len(len, k, stride, padding, op, dilation) == 0) continue;
            const std::string name = "s" + std::to_string(stride) + " d" + std::to_string(dilation) + " k" +
                                     std::to_string(k) + " p" + std::to_string(padding) + " L" + std::to_string(len);
            run_case({name.c_str(), 1, 2, len, 3, k, stride, padding, op, dilation, true}, seed++, /*quiet=*/true);
            ++cases;
          }
  harness::note(std::to_string(cases) + " shapes");
}

KERNEL_TEST(conv_transpose1d_rejects_bad_arguments) {
  const Case c = {"base", 1, 3, 5, 4, 3, 2, 1, 1, 1, false};
  DeviceBuffer<float> x(15), w(36), out(4 * 10);
  auto base = [&] { return gpu_args(c, x.get(), w.get(), nullptr, out.get()); };
  const int E = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  auto run = [](aiprod_cuda_conv_transpose1d_args a) { return [a] { aiprod_cuda::conv_transpose1d(a, nullptr); }; };
  aiprod_cuda::conv_transpose1d(base(), nullptr);  // valid: out_len (5-1)*2 - 2 + 2 + 1 + 1 = 10
  aiprod_cuda::rt::stream_synchronize(nullptr);
  auto a = base();
  a.cin = 0;
  harness::expect_error("cin 0", E, "cin, len and k must be > 0", run(a));
  a = base();
  a.len = 0;
  harness::expect_error("len 0", E, "cin, len and k must be > 0", run(a));
  a = base();
  a.k = 0;
  harness::expect_error("k 0", E, "cin, len and k must be > 0", run(a));
  a = base();
  a.stride = 0;
  harness::expect_error("stride 0", E, "stride and dilation must be > 0", run(a));
  a = base();
  a.dilation = 0;
  harness::expect_error("dilation 0", E, "stride and dilation must be > 0", run(a));
  a = base();
  a.output_padding = 2;  // >= stride 2 and dilation 1
  harness::expect_error("output_padding", E, "output_padding must be smaller than stride or dilation", run(a));
  a = base();
  a.out_len = 11;
  harness::expect_error("out_len", E, "out_len is 11, the input, kernel, stride, padding, output_padding and dilation give 10",
                        run(a));
  a = base();
  a.len = 1;
  a.padding = 5;  // (1-1)*2 - 10 + 2 + 1 + 1 < 0
  harness::expect_error("no output", E, "the padding leaves no output", run(a));
  convt::expect_pointer_checks(
      base(), [](const aiprod_cuda_conv_transpose1d_args& v) { aiprod_cuda::conv_transpose1d(v, nullptr); });
}
