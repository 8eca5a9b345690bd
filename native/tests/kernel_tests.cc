// Every compiled ISA path against the scalar reference: random inputs, odd lengths, unaligned pointers,
// special values (zeros, subnormals, infinities, NaNs, rounding ties). The elementwise ops and casts are
// bit-exact by design, so the bound is zero ULP. Also checks the scalar conversions against known encodings
// and the thread pool. Prints one line per check; exits 1 on any failure.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>
#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "aiprod/elementwise.h"
#include "aiprod/half.h"
#include "aiprod/kernels.h"
#include "aiprod/threadpool.h"
#include "check.h"

using namespace aiprod;
using aiprod_test::expect;
using aiprod_test::g_checks;
using aiprod_test::g_failures;

static std::vector<float> inputs(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 10.0f);
  std::uniform_int_distribution<uint32_t> any_bits;
  const float specials[] = {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                            bits_f32(0xffc12345u), bits_f32(0x7f800001u), 1e-40f, -3e-39f, 65504.0f, 65520.0f,
                            65519.99f, 5.96e-8f, 2.98e-8f, 1.0009765625f, 1.00390625f, 448.0f, 464.0f, 3.4e38f};
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    switch (i % 5) {
      case 0: v[i] = bits_f32(any_bits(rng)); break;  // every exponent, NaN payloads, subnormals
      case 1: v[i] = specials[(i / 5) % (sizeof(specials) / sizeof(float))]; break;
      default: v[i] = normal(rng);
    }
  }
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

// Bit equality, except that two f32 NaNs count as equal: IEEE leaves the payload of a NaN result open (x86
// returns the first operand's, and a compiler may swap the operands of a commutative op). Narrow outputs have
// canonical NaNs, so they are compared bit for bit.
static bool same_value(float a, float b) { return f32_bits(a) == f32_bits(b) || (std::isnan(a) && std::isnan(b)); }
static bool same_value(uint16_t a, uint16_t b) { return a == b; }

template <typename T>
static bool same_bits(const T* a, const T* b, size_t n, size_t* where) {
  for (size_t i = 0; i < n; ++i) {
    if (!same_value(a[i], b[i])) {
      *where = i;
      std::printf("# at %zu: want 0x%x got 0x%x\n", i, unsigned(sizeof(T) == 4 ? f32_bits(float(a[i])) : uint32_t(a[i])),
                  unsigned(sizeof(T) == 4 ? f32_bits(float(b[i])) : uint32_t(b[i])));
      return false;
    }
  }
  return true;
}

static void check_path(const KernelTable& k, std::mt19937& rng) {
  const KernelTable& r = ref_kernels();
  const std::string isa = isa_name(k.isa);
  for (size_t n : {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 1000, 4097, 65537}) {
    for (size_t offset : {0, 1, 3}) {  // element offsets: unaligned starts
      const std::vector<float> a = inputs(n + offset, rng), b = inputs(n + offset, rng);
      const std::string tag = isa + " n=" + std::to_string(n) + " offset=" + std::to_string(offset);
      size_t at = 0;
      for (BinaryOp op : {BinaryOp::Add, BinaryOp::Mul}) {
        const std::string opn = op == BinaryOp::Add ? "add" : "mul";
        std::vector<float> want(n + offset), got(n + offset);
        r.binary_f32(op, a.data() + offset, b.data() + offset, want.data() + offset, n);
        k.binary_f32(op, a.data() + offset, b.data() + offset, got.data() + offset, n);
        expect(same_bits(want.data() + offset, got.data() + offset, n, &at), opn + " f32 " + tag);
        for (int half = 0; half < 2; ++half) {
          auto enc = half ? r.f32_to_f16 : r.f32_to_bf16;
          auto fn_ref = half ? r.binary_f16 : r.binary_bf16;
          auto fn = half ? k.binary_f16 : k.binary_bf16;
          std::vector<uint16_t> ha(n + offset), hb(n + offset), w(n + offset), g(n + offset);
          enc(a.data(), ha.data(), n + offset);
          enc(b.data(), hb.data(), n + offset);
          fn_ref(op, ha.data() + offset, hb.data() + offset, w.data() + offset, n);
          fn(op, ha.data() + offset, hb.data() + offset, g.data() + offset, n);
          expect(same_bits(w.data() + offset, g.data() + offset, n, &at),
                 opn + (half ? " f16 " : " bf16 ") + tag);
        }
      }
      for (int half = 0; half < 2; ++half) {
        const char* name = half ? "f16" : "bf16";
        std::vector<uint16_t> w(n + offset), g(n + offset);
        (half ? r.f32_to_f16 : r.f32_to_bf16)(a.data() + offset, w.data() + offset, n);
        (half ? k.f32_to_f16 : k.f32_to_bf16)(a.data() + offset, g.data() + offset, n);
        expect(same_bits(w.data() + offset, g.data() + offset, n, &at),
               std::string("cast f32->") + name + " " + tag);
        std::vector<float> wf(n + offset), gf(n + offset);
        (half ? r.f16_to_f32 : r.bf16_to_f32)(w.data() + offset, wf.data() + offset, n);
        (half ? k.f16_to_f32 : k.bf16_to_f32)(w.data() + offset, gf.data() + offset, n);
        expect(same_bits(wf.data() + offset, gf.data() + offset, n, &at),
               std::string("cast ") + name + "->f32 " + tag);
        // every 16-bit pattern decodes the same way on this path
        if (n == 65537 && offset == 0) {
          std::vector<uint16_t> all(65536);
          for (size_t i = 0; i < all.size(); ++i) all[i] = uint16_t(i);
          std::vector<float> x(65536), y(65536);
          (half ? r.f16_to_f32 : r.bf16_to_f32)(all.data(), x.data(), all.size());
          (half ? k.f16_to_f32 : k.bf16_to_f32)(all.data(), y.data(), all.size());
          expect(same_bits(x.data(), y.data(), all.size(), &at), std::string("all 65536 ") + name + " patterns " + isa);
        }
      }
    }
  }
}

static void check_scalar_conversions() {
  struct F16Case { float in; uint16_t want; };
  const F16Case f16[] = {{0.0f, 0x0000}, {-0.0f, 0x8000}, {1.0f, 0x3c00}, {-2.0f, 0xc000}, {65504.0f, 0x7bff},
                         {65519.0f, 0x7bff}, {65520.0f, 0x7c00}, {1e9f, 0x7c00}, {5.9604645e-8f, 0x0001},
                         {2.9802322e-8f, 0x0000}, {2.9802326e-8f, 0x0001}, {6.097555e-5f, 0x03ff},
                         {6.1035156e-5f, 0x0400}, {1.00048828125f, 0x3c00}, {1.00146484375f, 0x3c02},
                         {std::numeric_limits<float>::infinity(), 0x7c00}, {-std::numeric_limits<float>::quiet_NaN(), 0x7e00}};
  for (const F16Case& c : f16) {
    expect(f32_to_f16(c.in) == c.want, "f32_to_f16(" + std::to_string(c.in) + ")");
    if (!std::isnan(c.in) && c.want != 0x7c00 && c.in == f16_to_f32(c.want)) {
      expect(f16_to_f32(f32_to_f16(c.in)) == c.in, "f16 round trip " + std::to_string(c.in));
    }
  }
  struct BF16Case { float in; uint16_t want; };
  const BF16Case bf16[] = {{1.0f, 0x3f80}, {1.00390625f, 0x3f80}, {1.01171875f, 0x3f82}, {-3.0f, 0xc040},
                           {3.4e38f, 0x7f80}, {std::numeric_limits<float>::quiet_NaN(), 0x7fc0},
                           {bits_f32(0xff812345u), 0x7fc0}, {1e-40f, 0x0001}};
  for (const BF16Case& c : bf16) expect(f32_to_bf16(c.in) == c.want, "f32_to_bf16(" + std::to_string(c.in) + ")");
  struct F8Case { float in; uint8_t want; };
  const F8Case f8[] = {{0.0f, 0x00}, {-0.0f, 0x80}, {1.0f, 0x38}, {-1.0f, 0xb8}, {448.0f, 0x7e}, {464.0f, 0x7e},
                       {470.0f, 0x7f}, {1e6f, 0x7f}, {0.001953125f, 0x01}, {0.0009765625f, 0x00},
                       {0.00146484375f, 0x01}, {0.015625f, 0x08}, {1.0625f, 0x38}, {1.1875f, 0x3a},
                       {std::numeric_limits<float>::infinity(), 0x7f}};
  for (const F8Case& c : f8) expect(f32_to_f8e4m3(c.in) == c.want, "f32_to_f8e4m3(" + std::to_string(c.in) + ")");
  expect(f8e4m3_to_f32(0x7e) == 448.0f && f8e4m3_to_f32(0x01) == 0.001953125f && std::isnan(f8e4m3_to_f32(0xff)),
         "f8e4m3 decode table");
  // Every finite f8 value round-trips through f32.
  for (int v = 0; v < 256; ++v) {
    const float x = f8e4m3_to_f32(uint8_t(v));
    if (!std::isnan(x)) expect(f32_to_f8e4m3(x) == uint8_t(v), "f8 round trip of pattern " + std::to_string(v));
  }
}

static void check_threadpool() {
  for (size_t chunks : {0, 1, 2, 3, 17, 1000}) {
    std::vector<std::atomic<int>> hits(chunks);
    parallel_for(chunks, [&](size_t c) { hits[c].fetch_add(1); });
    bool once = true;
    for (auto& h : hits) once = once && h.load() == 1;
    expect(once, "parallel_for runs each of " + std::to_string(chunks) + " chunks once");
  }
  bool threw = false;
  try {
    parallel_for(64, [](size_t c) {
      if (c == 13) throw std::runtime_error("chunk 13");
    });
  } catch (const std::runtime_error& e) {
    threw = std::string(e.what()) == "chunk 13";
  }
  expect(threw, "parallel_for rethrows a chunk's exception");
  // nested parallel_for falls back to the calling thread instead of deadlocking
  std::atomic<int> total{0};
  parallel_for(8, [&](size_t) { parallel_for(8, [&](size_t) { total.fetch_add(1); }); });
  expect(total.load() == 64, "nested parallel_for completes");
}

int main() {
  std::mt19937 rng(20261124);
  check_scalar_conversions();
  check_threadpool();
  int paths = 0;
  for (Isa isa : {Isa::Ref, Isa::Avx2, Isa::Avx512}) {
    std::string why;
    if (!isa_usable(isa, &why)) {
      std::printf("# skip %s: %s\n", isa_name(isa), why.c_str());
      continue;
    }
    select_isa(isa);
    check_path(kernels(), rng);
    ++paths;
  }
  std::printf("# %d ISA paths, %d checks, %d failures\n", paths, g_checks, g_failures);
  return g_failures ? 1 : 0;
}
