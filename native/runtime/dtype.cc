#include "aiprod/dtype.h"

namespace aiprod {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::BF16: return "bf16";
    case DType::F16: return "f16";
    case DType::F8E4M3: return "f8e4m3";
  }
  return "unknown";
}

bool dtype_from_name(const std::string& name, DType* out) {
  static const DType all[] = {DType::F32, DType::BF16, DType::F16, DType::F8E4M3};
  for (DType t : all) {
    if (name == dtype_name(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

}  // namespace aiprod
