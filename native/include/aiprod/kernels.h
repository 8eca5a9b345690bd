// The dispatch table: one function pointer per kernel, filled for one ISA path. Kernels are plain C++ on raw
// pointers; they never see JavaScript. Every path must give the same answer as the ref/ path within each op's
// stated bound (bit-exact for the elementwise ops and casts here).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace aiprod {

enum class Isa : uint8_t { Ref = 0, Avx2 = 1, Avx512 = 2 };
const char* isa_name(Isa isa);
bool isa_from_name(const std::string& name, Isa* out);

enum class BinaryOp : uint8_t { Add = 0, Mul = 1 };

struct KernelTable {
  Isa isa;
  // out[i] = a[i] op b[i]; out may alias a or b. Narrow types compute in f32 and round once.
  void (*binary_f32)(BinaryOp op, const float* a, const float* b, float* out, size_t n);
  void (*binary_bf16)(BinaryOp op, const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n);
  void (*binary_f16)(BinaryOp op, const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n);
  void (*bf16_to_f32)(const uint16_t* in, float* out, size_t n);
  void (*f32_to_bf16)(const float* in, uint16_t* out, size_t n);
  void (*f16_to_f32)(const uint16_t* in, float* out, size_t n);
  void (*f32_to_f16)(const float* in, uint16_t* out, size_t n);
};

// Tables per path. ref is always there; the others exist only when compiled in (AIPROD_HAVE_AVX2/AVX512).
const KernelTable& ref_kernels();
const KernelTable* avx2_kernels();
const KernelTable* avx512_kernels();

// Is this path compiled in and supported by this CPU and OS? If not, *why says which feature is missing.
bool isa_usable(Isa isa, std::string* why);
// The best usable path.
Isa best_isa();

// The process-wide active path. select_isa() throws std::runtime_error naming the missing feature.
const KernelTable& kernels();
void select_isa(Isa isa);
Isa active_isa();

}  // namespace aiprod
