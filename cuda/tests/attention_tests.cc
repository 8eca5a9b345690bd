// attention: flash attention against aiprod::attention_ref (the scalar CPU oracle: all scores of a row, a
// two-pass softmax in f32, zeros for a fully masked row), on random seeded inputs.
//
// Error bounds, per output element o[t] = sum_j p_j v[j,t] (p the softmax weights of the row):
//   A[t] = sum_j p_j |v[j,t]|  is computed exactly as the reference itself: attention_ref with |v| in place of v.
//   ds   = error of one score in nats. bf16 inputs are exact in f32, so q_t k_t is exact on both sides and only the
//          f32 accumulation of d terms and the scale/bias/log2e multiplies round:
//          ds <= (d + 8) 2^-24 (S + max|bias|) with S = scale * max over (row, key) of sum_t |q_t k_t|
//          (the reference's own accumulation counts once more, hence the factor 2 below). A score error moves a
//          weight by a factor exp(±ds) in the numerator and the normaliser: relative 2 ds per weight.
//   exp  = the exponent argument (x - m) rounds (relative 2^-24 of |x - m|, and sum_j p_j |x_j - m| <= ln nk + 1),
//          exp/exp2 are within ~2 ulp (ex2.approx on the GPU), and f32 sums of nk weights and of nk products
//          (the tensor cores' accumulation included) add <= nk 2^-23 relative: all inside (nk + d + 32) 2^-22.
//   bf16 path: P is rounded to bf16 before P V (FlashAttention's numerics, as the CPU's bf16 path): bf16 keeps
//          8 significant bits, unit roundoff 2^-8, so relative 2^-8 per weight -> 2^-8 A[t]; the output is
//          rounded to bf16: 2^-8 |o[t]|.
//   f32 path: the output rounding is 2^-24 |o[t]|.
//   => |got - ref| <= A[t] (2 * 2 ds + (nk + d + 32) 2^-22 [+ 2^-8 bf16]) + |ref| (2^-22 [+ 2^-8 bf16]).
// For comparison, test/native/attention.test.ts bounds the CPU's bf16 path (P rounded the same way, f32 output)
// by 4e-3 max|v| (~2^-8 max|v|); here the bf16 output rounding adds its own 2^-8 |o|. The f32 bound is rigorous
// (worst-case accumulation), so ~1000x the errors measured (~5e-7), yet well below any bf16 rounding: rounding P
// to bf16 in the f32 kernel exceeds it 4-11x. A wrong mask, layout or fragment gives errors
// of the order of |v| itself, 100x the bound; a fully masked row must be exactly 0 (its bound is 0).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "aiprod/attention.h"
#include "harness.h"

using harness::DeviceBuffer;

namespace {

enum BiasKind { kNoBias, kBiasFull, kBiasBroadcastBatch, kBiasBroadcastHeads, kBiasShared };

struct Case {
  size_t b, h, hkv, nq, nk, d;
  bool bf16;
  BiasKind bias = kNoBias;
  bool causal = false;
  size_t window = 0;
  float amp = 3.f;          // q amplitude: scores of a few nats (larger: sharper softmax, more max rescaling)
  bool masked_rows = false;  // some bias rows all -inf
  bool unaligned = false;    // q, k, v, out one element past a 16-byte boundary
};

std::string describe(const Case& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s b%zu h%zu/%zu nq%zu nk%zu d%zu bias%d%s win%zu amp%g%s%s", c.bf16 ? "bf16" : "f32",
                c.b, c.h, c.hkv, c.nq, c.nk, c.d, int(c.bias), c.causal ? " causal" : "", c.window, c.amp,
                c.masked_rows ? " masked-rows" : "", c.unaligned ? " unaligned" : "");
  return buf;
}

template <class T>
std::vector<float> run_device(const Case& c, const std::vector<float>& q, const std::vector<float>& k,
                              const std::vector<float>& v, const std::vector<float>& bias, size_t sb, size_t sh) {
  const size_t off = c.unaligned ? 1 : 0;
  auto up = [&](const std::vector<float>& x) {
    std::vector<T> h(x.size() + off);
    if constexpr (sizeof(T) == 2) {
      const auto b = harness::to_bf16(x);
      std::copy(b.begin(), b.end(), h.begin() + off);
    } else {
      std::copy(x.begin(), x.end(), h.begin() + off);
    }
    return h;
  };
  DeviceBuffer<T> dq(up(q)), dk(up(k)), dv(up(v));
  DeviceBuffer<T> dout(c.b * c.h * c.nq * c.d + off);
  dout.fill_bytes(0x7f);  // garbage: every element must be written
  DeviceBuffer<float> db(bias.empty() ? std::vector<float>(1) : bias);
  aiprod_cuda_attention_args a{};
  a.q = dq.get() + off, a.k = dk.get() + off, a.v = dv.get() + off, a.out = dout.get() + off;
  a.dtype = sizeof(T) == 2 ? AIPROD_CUDA_BF16 : AIPROD_CUDA_F32;
  a.batch = c.b, a.heads = c.h, a.kv_heads = c.hkv, a.nq = c.nq, a.nk = c.nk, a.d = c.d;
  a.scale = 1.f / std::sqrt(float(c.d));
  a.bias = bias.empty() ? nullptr : db.get();
  a.bias_stride_b = sb, a.bias_stride_h = sh;
  a.causal = c.causal;
  a.window = c.window;
  aiprod_cuda::attention(a, nullptr);
  const auto g = dout.download();
  std::vector<float> out(g.size() - off);
  if constexpr (sizeof(T) == 2) {
    out = harness::from_bf16(std::vector<uint16_t>(g.begin() + off, g.end()));
  } else {
    std::copy(g.begin() + off, g.end(), out.begin());
  }
  return out;
}

void run_case(const Case& c, uint64_t seed) {
  std::vector<float> q = harness::random_floats(c.b * c.h * c.nq * c.d, seed, -c.amp, c.amp);
  std::vector<float> k = harness::random_floats(c.b * c.hkv * c.nk * c.d, seed + 1);
  std::vector<float> v = harness::random_floats(c.b * c.hkv * c.nk * c.d, seed + 2);
  if (c.bf16) q = harness::round_bf16(q), k = harness::round_bf16(k), v = harness::round_bf16(v);
  std::vector<float> bias;
  size_t sb = 0, sh = 0;
  const size_t nn = c.nq * c.nk;
  if (c.bias != kNoBias) {
    size_t rows = 1;
    switch (c.bias) {
      case kBiasFull: sb = c.h * nn, sh = nn, rows = c.b * c.h; break;
      case kBiasBroadcastBatch: sb = 0, sh = nn, rows = c.h; break;
      case kBiasBroadcastHeads: sb = nn, sh = 0, rows = c.b; break;
      default: break;
    }
    bias = harness::random_floats(rows * nn, seed + 3, -2.f, 2.f);
    // a few single -inf entries, and with masked_rows whole rows of -inf
    for (size_t e = 5; e < bias.size(); e += 37) bias[e] = -std::numeric_limits<float>::infinity();
    if (c.masked_rows) {
      for (size_t r = 0; r < rows; ++r)
        for (size_t i = r % 3; i < c.nq; i += 7)
          for (size_t j = 0; j < c.nk; ++j) bias[r * nn + i * c.nk + j] = -std::numeric_limits<float>::infinity();
    }
  }
  aiprod::AttentionArgs r{};
  std::vector<float> want(c.b * c.h * c.nq * c.d), absv(v.size()), amass(want.size());
  for (size_t i = 0; i < v.size(); ++i) absv[i] = std::fabs(v[i]);
  r.q = q.data(), r.k = k.data(), r.v = v.data(), r.out = want.data();
  r.batch = c.b, r.heads = c.h, r.kv_heads = c.hkv, r.nq = c.nq, r.nk = c.nk, r.d = c.d;
  r.scale = 1.f / std::sqrt(float(c.d));
  r.bias = bias.empty() ? nullptr : bias.data();
  r.bias_stride_b = sb, r.bias_stride_h = sh;
  r.causal = c.causal, r.window = c.window;
  aiprod::attention_ref(r);
  r.v = absv.data(), r.out = amass.data();
  aiprod::attention_ref(r);

  // S = scale * max sum_t |q_t k_t| over every (row, key) pair of a head
  double S = 0, maxb = 0;
  const size_t group = c.h / c.hkv;
  for (size_t bh = 0; bh < c.b * c.h; ++bh) {
    const size_t bb = bh / c.h, g = (bh % c.h) / group;
    for (size_t i = 0; i < c.nq; ++i)
      for (size_t j = 0; j < c.nk; ++j) {
        double s = 0;
        for (size_t t = 0; t < c.d; ++t)
          s += std::fabs(q[(bh * c.nq + i) * c.d + t] * k[((bb * c.hkv + g) * c.nk + j) * c.d + t]);
        S = std::max(S, s);
      }
  }
  S *= r.scale;
  for (float x : bias)
    if (std::isfinite(x)) maxb = std::max(maxb, double(std::fabs(x)));
  const double u = std::ldexp(1.0, -24);
  const double ds = double(c.d + 8) * u * (S + maxb);
  const double rel_a = 4 * ds + double(c.nk + c.d + 32) * 4 * u + (c.bf16 ? std::ldexp(1.0, -8) : 0.0);
  const double rel_o = 4 * u + (c.bf16 ? std::ldexp(1.0, -8) : 0.0);
  std::vector<float> bound(want.size());
  for (size_t e = 0; e < want.size(); ++e) bound[e] = float(amass[e] * rel_a + std::fabs(want[e]) * rel_o);

  // bf16 with d 64 / 128 runs once per kernel path, forced through AIPROD_CUDA_ATTENTION (the SIMT kernel's f32
  // products and unrounded P are within the same bound); the rest has only the SIMT kernel.
  const bool tc = c.bf16 && (c.d == 64 || c.d == 128);
  for (const char* path : {"wgmma", "mma", "simt"}) {
    if (!tc && std::strcmp(path, "simt") != 0) continue;
    setenv("AIPROD_CUDA_ATTENTION", path, 1);
    std::vector<float> got;
    try {
      got = c.bf16 ? run_device<uint16_t>(c, q, k, v, bias, sb, sh) : run_device<float>(c, q, k, v, bias, sb, sh);
    } catch (const aiprod_cuda::Error& e) {
      unsetenv("AIPROD_CUDA_ATTENTION");
      const bool no_sm90 = std::string(e.what()).find("needs compute capability 9.0") != std::string::npos;
#if defined(AIPROD_CUDA_EMULATION)
      EXPECT(false, "%s [%s]: %s", describe(c).c_str(), path, e.what());  // the emulation runs every path
#else
      if (!no_sm90) throw;
      harness::note(describe(c) + " [wgmma]: skipped, not a compute capability 9.0 device");
#endif
      continue;
    }
    unsetenv("AIPROD_CUDA_ATTENTION");
    harness::expect_within(describe(c) + (tc ? std::string(" [") + path + "]" : std::string()), got, want, bound);
  }
  // fully masked rows must be exact zeros (their reference row is all zeros and their bound 0): counted explicitly
  size_t zero_rows = 0;
  for (size_t row = 0; row < c.b * c.h * c.nq; ++row) {
    bool z = true;
    for (size_t t = 0; t < c.d; ++t) z = z && amass[row * c.d + t] == 0.f;
    zero_rows += z;
  }
  if (zero_rows) harness::note(describe(c) + ": " + std::to_string(zero_rows) + " fully masked rows");
}

}  // namespace

// bf16 tensor-core path, head dim 64: every nq/nk in {1, 17, 64, 130}, grouped heads 4/4, 4/2, 4/1, the bias
// broadcasts, causal, window (with and without causal), batch 2, sharp softmax (max rescaling across tiles).
KERNEL_TEST(attention_bf16_d64) {
  uint64_t seed = 100;
  run_case({1, 4, 4, 17, 130, 64, true}, seed += 10);
  run_case({2, 4, 2, 130, 64, 64, true, kNoBias, true}, seed += 10);
  run_case({1, 4, 1, 64, 17, 64, true, kBiasBroadcastBatch}, seed += 10);
  run_case({1, 4, 2, 1, 130, 64, true, kBiasFull, false, 5}, seed += 10);
  run_case({2, 4, 1, 130, 130, 64, true, kBiasBroadcastHeads, true, 40, 8.f}, seed += 10);
  run_case({1, 4, 4, 130, 1, 64, true, kBiasShared}, seed += 10);
}

// Head dim 128, and fully masked rows: a window without causal and nq >> nk leaves rows that see no key, and
// bias rows of -inf.
KERNEL_TEST(attention_bf16_d128) {
  uint64_t seed = 200;
  run_case({1, 4, 2, 130, 17, 128, true, kNoBias, false, 8}, seed += 10);
  run_case({2, 4, 1, 64, 130, 128, true, kBiasFull, false, 0, 3.f, true}, seed += 10);
  run_case({1, 4, 4, 17, 64, 128, true, kNoBias, true, 0, 8.f}, seed += 10);
  run_case({1, 4, 2, 1, 1, 128, true}, seed += 10);
}

// Unaligned q/k/v/out (plain loads instead of cp.async), and bf16 with a head dim the tensor-core path does not
// take (72: the SIMT fallback, f32 products, bf16 in and out, within the same bound).
KERNEL_TEST(attention_bf16_unaligned_and_fallback) {
  uint64_t seed = 300;
  Case c{1, 4, 2, 130, 70, 64, true, kBiasFull, true};
  c.unaligned = true;
  run_case(c, seed += 10);
  run_case({1, 4, 2, 33, 70, 72, true, kNoBias, false, 9}, seed += 10);
}

// f32 SIMT path: head dims 64, 72, 128 (and 200: a partial register slice), same coverage of shapes and masks.
KERNEL_TEST(attention_f32) {
  uint64_t seed = 400;
  run_case({1, 4, 4, 17, 130, 64, false}, seed += 10);
  run_case({2, 4, 2, 130, 17, 64, false, kBiasBroadcastBatch, true}, seed += 10);
  run_case({1, 4, 1, 64, 64, 72, false, kBiasFull, false, 5, 8.f}, seed += 10);
  run_case({1, 4, 2, 1, 130, 72, false, kNoBias, true}, seed += 10);
  run_case({2, 4, 1, 130, 64, 128, false, kBiasBroadcastHeads, true, 20, 3.f, true}, seed += 10);
  run_case({1, 4, 4, 130, 1, 128, false, kNoBias, false, 3}, seed += 10);
  run_case({1, 2, 1, 17, 33, 200, false, kBiasShared}, seed += 10);
  Case c{1, 4, 2, 33, 17, 72, false};
  c.unaligned = true;
  run_case(c, seed += 10);
}

// Every (nq, nk) in {1, 17, 64, 130}^2 for bf16 d64, bf16 d128 and f32 d72, cycling through kv heads 4/2/1, the
// bias kinds and the masks (none, causal, window 7 / 33, causal + window 20).
KERNEL_TEST(attention_shape_grid) {
  const size_t sizes[] = {1, 17, 64, 130};
  uint64_t seed = 1000;
  int n = 0;
  for (int path = 0; path < 3; ++path) {
    for (size_t nq : sizes) {
      for (size_t nk : sizes) {
        Case c{1 + size_t(n % 5 == 0), 4, size_t(4 >> (n % 3)), nq, nk, path == 2 ? size_t(72) : size_t(64 << (path & 1)),
               path < 2};
        c.bias = BiasKind((n / 2) % 5);
        const int mask = (n / 3) % 5;
        c.causal = mask == 1 || mask == 4;
        c.window = mask == 2 ? 7 : mask == 3 ? 33 : mask == 4 ? 20 : 0;
        c.amp = n % 4 == 1 ? 8.f : 3.f;
        run_case(c, seed += 10);
        ++n;
      }
    }
  }
}

// The key-tile skipping and the per-tile mask decision at their edges: windows 2 and 66 put the first visible key of a query block at the last key
// of a tile (i0 - w + 1 = 63 mod 64, and 31 mod 32 for the SIMT key tiles), and without causal the last visible
// key at the first key of a tile (i1 - 1 + w = 64 + 1); causal with nq = 65 / 33 makes key i1 - 1 the first of a
// tile.
KERNEL_TEST(attention_tile_skip_edges) {
  uint64_t seed = 2000;
  run_case({1, 2, 1, 130, 130, 64, true, kNoBias, false, 2}, seed += 10);
  run_case({1, 2, 2, 65, 130, 64, true, kNoBias, true}, seed += 10);
  run_case({1, 2, 1, 130, 130, 64, true, kNoBias, true, 66}, seed += 10);
  run_case({1, 2, 1, 130, 130, 128, true, kBiasFull, false, 66}, seed += 10);
  run_case({1, 2, 1, 64, 130, 64, false, kNoBias, false, 2}, seed += 10);
  run_case({1, 2, 2, 33, 64, 64, false, kNoBias, true}, seed += 10);
  run_case({1, 2, 1, 65, 65, 72, false, kNoBias, true, 2}, seed += 10);
  run_case({1, 2, 1, 130, 130, 72, false, kNoBias, false, 34}, seed += 10);
  // Whole tiles taken without per-element masks: window = the largest distance in a tile (rows 64..127 vs keys
  // 0..63 behind, causal; rows 64..127 vs keys 128..191 ahead), so exactly one pair of the tile is masked. (The
  // SIMT kernel masks per element always; its two cases put that pair at a key-tile corner too.)
  run_case({1, 2, 1, 130, 130, 64, true, kNoBias, true, 127}, seed += 10);
  run_case({1, 2, 1, 130, 192, 64, true, kNoBias, false, 127}, seed += 10);
  run_case({1, 2, 1, 64, 64, 64, false, kNoBias, true, 63}, seed += 10);
  run_case({1, 2, 1, 64, 96, 64, false, kNoBias, false, 63}, seed += 10);
}

// nk = 0: every row is fully masked (zeros, as the CPU); k and v may be null.
KERNEL_TEST(attention_no_keys_gives_zeros) {
  for (int dt : {AIPROD_CUDA_BF16, AIPROD_CUDA_F32}) {
    const size_t n = 2 * 3 * 5 * 64;
    DeviceBuffer<float> out(n);  // f32-sized: enough for either dtype
    out.fill_bytes(0x7f);
    std::vector<float> qh(n, 0.5f);
    DeviceBuffer<float> q(qh);
    aiprod_cuda_attention_args a{};
    a.q = q.get(), a.out = out.get(), a.dtype = dt;
    a.batch = 2, a.heads = 3, a.kv_heads = 1, a.nq = 5, a.nk = 0, a.d = 64, a.scale = 0.125f;
    aiprod_cuda::attention(a, nullptr);
    const auto g = out.download();
    const size_t bytes = n * (dt == AIPROD_CUDA_BF16 ? 2 : 4);
    std::vector<unsigned char> raw(bytes);
    std::memcpy(raw.data(), g.data(), bytes);
    size_t nonzero = 0;
    for (unsigned char x : raw) nonzero += x != 0;
    EXPECT(nonzero == 0, "dtype %d, nk = 0: %zu nonzero output bytes", dt, nonzero);
  }
}

KERNEL_TEST(attention_rejects_bad_arguments) {
  DeviceBuffer<float> buf(4 * 4 * 300);
  aiprod_cuda_attention_args a{};
  a.q = a.k = a.v = buf.get();
  a.out = buf.get();
  a.dtype = AIPROD_CUDA_F32;
  a.batch = 1, a.heads = 4, a.kv_heads = 3, a.nq = 4, a.nk = 4, a.d = 64, a.scale = 0.125f;
  auto call = [&] { aiprod_cuda::attention(a, nullptr); };
  harness::expect_error("heads % kv_heads", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "multiple of kv_heads", call);
  a.kv_heads = 0;
  harness::expect_error("kv_heads 0", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "multiple of kv_heads", call);
  a.kv_heads = 2;
  a.dtype = AIPROD_CUDA_F16;
  harness::expect_error("f16", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "must be f32 or bf16", call);
  a.dtype = 7;
  harness::expect_error("dtype 7", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "must be f32 or bf16", call);
  a.dtype = AIPROD_CUDA_BF16;
  a.d = 300;
  harness::expect_error("d 300", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "at most 256", call);
  a.d = 64;
  a.q = nullptr;
  harness::expect_error("null q", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "null q or out", call);
  a.q = buf.get();
  a.v = nullptr;
  harness::expect_error("null v", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "null k or v", call);
  a.v = buf.get();
  a.out = nullptr;
  harness::expect_error("null out", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "null q or out", call);
  a.out = buf.get();
  setenv("AIPROD_CUDA_ATTENTION", "tensor", 1);
  harness::expect_error("AIPROD_CUDA_ATTENTION=tensor", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "is not a path", call);
  unsetenv("AIPROD_CUDA_ATTENTION");
}
