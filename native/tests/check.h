// The one assertion of the C++ test programs: counts checks, prints a TAP-style "not ok" line on failure.
#pragma once
#include <cstdio>
#include <string>

namespace aiprod_test {

inline int g_failures = 0, g_checks = 0;

inline void expect(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("not ok - %s\n", what.c_str());
  }
}

}  // namespace aiprod_test
