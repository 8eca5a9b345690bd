// Element types the engine stores. Compute is always f32 (or wider); narrow types are storage.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace aiprod {

enum class DType : uint8_t { F32 = 0, BF16 = 1, F16 = 2, F8E4M3 = 3 };

constexpr size_t dtype_size(DType t) {
  return t == DType::F32 ? 4 : (t == DType::F8E4M3 ? 1 : 2);
}

const char* dtype_name(DType t);
// Returns false (and leaves *out untouched) for an unknown name.
bool dtype_from_name(const std::string& name, DType* out);

}  // namespace aiprod
