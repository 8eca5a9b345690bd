// main() of the CUDA kernel tests: runs every registered test (or those matching --filter), under the
// emulation in each thread order given by --order (forward, reverse, shuffled; default all three), and
// prints one line per test with its notes. Exit 0: all passed; 1: a failure; 77: no device (GPU build).
#include "harness.h"

#include <algorithm>
#include <cstring>
#include <random>

#if defined(AIPROD_CUDA_EMULATION)
#include "aiprod_cuda/emu/emu.h"
#endif
#include "aiprod/half.h"

namespace harness {
namespace {

struct Case {
  const char* name;
  TestFn fn;
};
std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}
std::vector<std::string> g_failures, g_notes;

}  // namespace

Registrar::Registrar(const char* name, TestFn fn) { registry().push_back({name, fn}); }
void fail(const std::string& message) { g_failures.push_back(message); }
void note(const std::string& line) { g_notes.push_back(line); }

std::vector<float> random_floats(size_t n, uint64_t seed, float lo, float hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}
std::vector<uint16_t> to_bf16(const std::vector<float>& v) {
  std::vector<uint16_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = aiprod::f32_to_bf16(v[i]);
  return out;
}
std::vector<float> from_bf16(const std::vector<uint16_t>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = aiprod::bf16_to_f32(v[i]);
  return out;
}
std::vector<float> round_bf16(const std::vector<float>& v) { return from_bf16(to_bf16(v)); }

static bool compare(const std::string& what, const std::vector<float>& got, const std::vector<float>& ref,
                    const std::vector<float>* bounds, double atol, double rtol) {
  if (got.size() != ref.size()) {
    fail(what + ": size " + std::to_string(got.size()) + " vs reference " + std::to_string(ref.size()));
    return false;
  }
  double worst_ratio = 0, worst_err = 0;
  size_t worst = 0, bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double r = ref[i], g = got[i];
    if (std::isnan(r) || std::isnan(g)) {
      if (std::isnan(r) != std::isnan(g)) {
        if (bad++ == 0) worst = i;
        worst_ratio = INFINITY;
      }
      continue;
    }
    if (std::isinf(r) || std::isinf(g)) {
      if (r != g) {
        if (bad++ == 0) worst = i;
        worst_ratio = INFINITY;
      }
      continue;
    }
    const double bound = bounds ? double((*bounds)[i]) : atol + rtol * std::fabs(r);
    const double err = std::fabs(g - r);
    const double ratio = bound > 0 ? err / bound : (err > 0 ? INFINITY : 0);
    if (ratio > 1) bad++;
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst_err = err;
      worst = i;
    }
  }
  char buf[384];
  std::snprintf(buf, sizeof buf, "%s: max error %.3g (%.2f of its bound) at [%zu] (got %.9g, ref %.9g)%s", what.c_str(),
                worst_err, worst_ratio, worst, got.empty() ? 0.0 : double(got[worst]), ref.empty() ? 0.0 : double(ref[worst]),
                bad ? (", " + std::to_string(bad) + " elements out of bounds").c_str() : "");
  note(buf);
  if (bad) fail(buf);
  return bad == 0;
}

bool expect_close(const std::string& what, const std::vector<float>& got, const std::vector<float>& ref, double atol,
                  double rtol) {
  return compare(what, got, ref, nullptr, atol, rtol);
}
bool expect_within(const std::string& what, const std::vector<float>& got, const std::vector<float>& ref,
                   const std::vector<float>& bound) {
  return compare(what, got, ref, &bound, 0, 0);
}

}  // namespace harness

int main(int argc, char** argv) {
  using namespace harness;
  std::string filter;
  std::vector<std::string> orders;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
    else if (!std::strcmp(argv[i], "--order") && i + 1 < argc) orders.push_back(argv[++i]);
    else if (!std::strcmp(argv[i], "--list")) list = true;
    else if (!std::strcmp(argv[i], "--kernels")) {
      // The ops this build's C API table has kernels for (the list `aiprod info` prints).
      std::printf("%s\n", aiprod_cuda_get_api(AIPROD_CUDA_API_VERSION)->kernels);
      return 0;
    }
    else {
      std::fprintf(stderr, "usage: %s [--filter SUBSTRING] [--order forward|reverse|shuffled]... [--list] [--kernels]\n", argv[0]);
      return 2;
    }
  }
  if (list) {
    for (const auto& c : registry()) std::printf("%s\n", c.name);
    return 0;
  }
#if defined(AIPROD_CUDA_EMULATION)
  if (orders.empty()) orders = {"forward", "reverse", "shuffled"};
  std::printf("# CUDA kernels under the host emulation\n");
#else
  orders = {"device"};
  std::string why;
  int devices = 0;
  try {
    devices = aiprod_cuda::rt::device_count(&why);
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (devices == 0) {
    std::printf("# skipped: no CUDA device (%s)\n", why.c_str());
    return 77;
  }
  const auto info = aiprod_cuda::rt::device_info(0);
  std::printf("# CUDA kernels on %s (sm_%d%d)\n", info.name, info.cc_major, info.cc_minor);
#endif
  int failed = 0, passed = 0;
  for (const std::string& order : orders) {
#if defined(AIPROD_CUDA_EMULATION)
    aiprod_emu::Options opt;
    if (order == "forward") opt.order = aiprod_emu::Order::forward;
    else if (order == "reverse") opt.order = aiprod_emu::Order::reverse;
    else if (order == "shuffled") opt.order = aiprod_emu::Order::shuffled, opt.seed = 12345;
    else {
      std::fprintf(stderr, "unknown --order %s\n", order.c_str());
      return 2;
    }
    aiprod_emu::set_options(opt);
#endif
    for (const auto& c : registry()) {
      if (!filter.empty() && std::string(c.name).find(filter) == std::string::npos) continue;
      g_failures.clear();
      g_notes.clear();
      try {
        c.fn();
      } catch (const std::exception& e) {
        g_failures.push_back(std::string("threw: ") + e.what());
      }
      if (g_failures.empty()) {
        passed++;
        std::printf("ok %s [%s]\n", c.name, order.c_str());
      } else {
        failed++;
        std::printf("FAIL %s [%s]\n", c.name, order.c_str());
        for (const auto& f : g_failures) std::printf("  failure: %s\n", f.c_str());
      }
      for (const auto& n : g_notes) std::printf("  %s\n", n.c_str());
    }
  }
  std::printf("# %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
