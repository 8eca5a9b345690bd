// binary: numpy-broadcast add/mul/sub/div/max/min against aiprod::broadcast_binary (the CPU's shape op), a, b
// and out each f32, bf16 or f16. Both compute one f32 operation on the widened inputs and round once to out's
// dtype, so the results are bit-identical (bound 0; NaN where the CPU gives NaN). f16 operands go to the CPU as
// their exact f32 values, and its f32 result is rounded to f16 with the CPU's f32_to_f16.
#include <algorithm>
#include <cstring>

#include "aiprod/shape.h"
#include "pointwise_test_util.h"

using namespace pwt;

namespace {

std::string shp(int nd, const int64_t* s) {
  std::string r = "[";
  for (int i = 0; i < nd; ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

aiprod::BroadcastOp cpu_op(int op) {
  switch (op) {
    case AIPROD_CUDA_ADD: return aiprod::BroadcastOp::Add;
    case AIPROD_CUDA_MUL: return aiprod::BroadcastOp::Mul;
    case AIPROD_CUDA_SUB: return aiprod::BroadcastOp::Sub;
    case AIPROD_CUDA_DIV: return aiprod::BroadcastOp::Div;
    case AIPROD_CUDA_MAX: return aiprod::BroadcastOp::Max;
    default: return aiprod::BroadcastOp::Min;
  }
}

// a and b have their own shapes (numpy-broadcast to out); `a_perm` stores a transposed (its strides permuted)
// to make a non-contiguous operand.
void check(int op, const std::vector<int64_t>& ashape, const std::vector<int64_t>& bshape, int adt, int bdt, int odt,
           bool a_transposed, uint64_t seed) {
  const size_t nd = std::max(ashape.size(), bshape.size());
  std::vector<int64_t> as(nd, 1), bs(nd, 1), out(nd);
  std::copy(ashape.begin(), ashape.end(), as.begin() + long(nd - ashape.size()));
  std::copy(bshape.begin(), bshape.end(), bs.begin() + long(nd - bshape.size()));
  size_t an = 1, bn = 1, on = 1;
  for (size_t i = 0; i < nd; ++i) out[i] = as[i] == 1 ? bs[i] : as[i], an *= size_t(as[i]), bn *= size_t(bs[i]), on *= size_t(out[i]);
  // Contiguous strides (a: reversed axis order when transposed), 0 on broadcast axes.
  std::vector<int64_t> ast(nd), bst(nd);
  int64_t s = 1;
  if (a_transposed) {
    for (size_t i = 0; i < nd; ++i) ast[i] = as[i] == 1 ? 0 : s, s *= as[i];
  } else {
    for (size_t i = nd; i-- > 0;) ast[i] = as[i] == 1 ? 0 : s, s *= as[i];
  }
  s = 1;
  for (size_t i = nd; i-- > 0;) bst[i] = bs[i] == 1 ? 0 : s, s *= bs[i];
  std::vector<float> av = harness::random_floats(an, seed, -3.f, 3.f), bv = harness::random_floats(bn, seed + 1, -3.f, 3.f);
  // Edge values: NaN, signed zeros, ties, a zero divisor.
  const float sa[] = {NAN, 0.f, -0.f, 1.5f, 2.f}, sb[] = {1.f, -0.f, 0.f, 1.5f, NAN};
  for (size_t i = 0; i < 5; ++i) {
    if (i < an) av[(i * 7) % an] = sa[i];
    if (i < bn) bv[(i * 5 + 1) % bn] = sb[i];
  }
  DevT a(av, adt), b(bv, bdt), y(on, odt);
  aiprod_cuda_binary_args x{};
  x.op = op, x.a = a.get(), x.a_dtype = adt, x.b = b.get(), x.b_dtype = bdt, x.out = y.get(), x.out_dtype = odt;
  x.ndim = int(nd);
  for (size_t i = 0; i < nd; ++i) x.shape[i] = out[i], x.a_strides[i] = ast[i], x.b_strides[i] = bst[i];
  aiprod_cuda::binary(x, nullptr);
  std::vector<float> ref(on);
  // (the binding never calls the CPU op on an empty output)
  if (on) aiprod::broadcast_binary(cpu_op(op), a.in(), ast, b.in(), bst, {ref.data(), aiprod::DType::F32}, out);
  static const char* names[] = {"add", "mul", "sub", "div", "max", "min"};
  char what[200];
  std::snprintf(what, sizeof what, "binary %s out %s a %s%s b %s: a %s b %s out %s", names[op],
                shp(int(nd), out.data()).c_str(), shp(int(ashape.size()), ashape.data()).c_str(),
                a_transposed ? " (transposed)" : "", shp(int(bshape.size()), bshape.data()).c_str(), dn(adt), dn(bdt), dn(odt));
  harness::expect_close(what, y.download(), rounded(ref, odt), 0, 0);
}

}  // namespace

KERNEL_TEST(binary_broadcasts_match_cpu) {
  struct Case {
    std::vector<int64_t> a, b;
    bool at;
  };
  const std::vector<Case> cases = {
      {{3, 37}, {3, 37}, false},             // same shape: one merged axis
      {{}, {}, false},                       // 0-d
      {{5, 7}, {}, false},                   // scalar b
      {{1}, {4, 9}, false},                  // scalar a (1-element)
      {{37, 7}, {7}, false},                 // row broadcast
      {{5, 9}, {5, 1}, false},               // column broadcast
      {{2, 3, 4}, {2, 1, 4}, false},         // middle-dim broadcast
      {{3, 1}, {1, 4}, false},               // both broadcast (outer product)
      {{4, 6, 5}, {6, 5}, true},             // non-contiguous a
      {{2, 1, 3, 1, 2, 2, 1, 3}, {1, 3, 3, 2, 1, 2, 2, 1}, false},  // 8 dims
      {{0, 3}, {3}, false},                  // empty
  };
  const int dts[3] = {kF32, kBF16, kF16};
  uint64_t seed = 1;
  for (int op = 0; op <= 5; ++op) {
    for (size_t c = 0; c < cases.size(); ++c) {
      const size_t k = size_t(op) + c;
      check(op, cases[c].a, cases[c].b, dts[k % 3], dts[(k / 3) % 3], dts[(k / 2 + op) % 3], cases[c].at, seed++);
    }
  }
  // Every dtype triple once, on a row broadcast.
  for (int i = 0; i < 27; ++i) check(i % 6, {3, 5}, {5}, dts[i % 3], dts[(i / 3) % 3], dts[i / 9], false, seed++);
}

KERNEL_TEST(binary_rejects_bad_arguments) {
  DevT t(std::vector<float>(8, 1.f), kF32);
  aiprod_cuda_binary_args x{};
  x.a = x.b = t.get(), x.out = t.get(), x.ndim = 1, x.shape[0] = 8, x.a_strides[0] = x.b_strides[0] = 1;
  const int code = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  x.op = 6;
  harness::expect_error("op 6", code, "unknown op 6", [&] { aiprod_cuda::binary(x, nullptr); });
  x.op = 0, x.ndim = 9;
  harness::expect_error("9 dims", code, "0-8 supported", [&] { aiprod_cuda::binary(x, nullptr); });
  x.ndim = 1, x.shape[0] = -1;
  harness::expect_error("negative size", code, "negative size", [&] { aiprod_cuda::binary(x, nullptr); });
  x.shape[0] = 8, x.b_dtype = AIPROD_CUDA_F8E4M3;
  harness::expect_error("f8 b", code, "b dtype f8e4m3", [&] { aiprod_cuda::binary(x, nullptr); });
  x.b_dtype = 0, x.out_dtype = 4;
  harness::expect_error("dtype 4", code, "out dtype unknown dtype (code 4)", [&] { aiprod_cuda::binary(x, nullptr); });
  x.out_dtype = 0, x.out = nullptr;
  harness::expect_error("null out", code, "out is null", [&] { aiprod_cuda::binary(x, nullptr); });
}

KERNEL_TEST(binary_max_min_nan_and_signed_zero_bits) {
  // max/min: NaN when either input is NaN; on ties the CPU's std::max/std::min keep a (max(-0, +0) = -0).
  const std::vector<float> av = {-0.f, 0.f, 1.f, NAN, 2.f, -0.f, -1.f}, bv = {0.f, -0.f, 1.f, 1.f, NAN, -0.f, 3.f};
  DevT a(av, kF32), b(bv, kF32);
  for (int op : {AIPROD_CUDA_MAX, AIPROD_CUDA_MIN}) {
    DevT y(av.size(), kF32);
    aiprod_cuda_binary_args x{};
    x.op = op, x.a = a.get(), x.b = b.get(), x.out = y.get(), x.ndim = 1, x.shape[0] = int64_t(av.size());
    x.a_strides[0] = x.b_strides[0] = 1;
    aiprod_cuda::binary(x, nullptr);
    std::vector<float> ref(av.size());
    aiprod::broadcast_binary(cpu_op(op), a.in(), {1}, b.in(), {1}, {ref.data(), aiprod::DType::F32}, {int64_t(av.size())});
    const auto g = y.download();
    for (size_t i = 0; i < av.size(); ++i) {
      uint32_t gb, rb;
      std::memcpy(&gb, &g[i], 4);
      std::memcpy(&rb, &ref[i], 4);
      const bool same = std::isnan(ref[i]) ? std::isnan(g[i]) : gb == rb;
      EXPECT(same, "%s(%g, %g): got %g (bits %08x), CPU %g (bits %08x)", op == AIPROD_CUDA_MAX ? "max" : "min", av[i], bv[i],
             g[i], gb, ref[i], rb);
    }
  }
}
