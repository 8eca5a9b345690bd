// Elementwise ops and casts over whole buffers: chunked over the thread pool, each chunk through the active
// kernel path. Casts without a direct kernel go through f32 in cache-sized blocks; bf16/f16 -> f32 is exact,
// so f32 -> target rounds only once and the result equals a direct conversion.
#include "aiprod/elementwise.h"

#include <algorithm>
#include <cstring>

#include "aiprod/half.h"
#include "aiprod/threadpool.h"

namespace aiprod {
namespace {

constexpr size_t kGrain = 1 << 15;  // elements per chunk: big enough that scheduling is noise
constexpr size_t kBlock = 1024;     // f32 staging block for indirect casts (4 KiB, stays in L1)

// Decode n elements of any dtype to f32.
void to_f32(DType from, const void* in, float* out, size_t n) {
  const KernelTable& k = kernels();
  switch (from) {
    case DType::F32: std::memcpy(out, in, n * 4); break;
    case DType::BF16: k.bf16_to_f32(static_cast<const uint16_t*>(in), out, n); break;
    case DType::F16: k.f16_to_f32(static_cast<const uint16_t*>(in), out, n); break;
    case DType::F8E4M3: {
      const uint8_t* p = static_cast<const uint8_t*>(in);
      for (size_t i = 0; i < n; ++i) out[i] = f8e4m3_to_f32(p[i]);
      break;
    }
  }
}

// Encode n f32 elements to any dtype.
void from_f32(const float* in, DType to, void* out, size_t n) {
  const KernelTable& k = kernels();
  switch (to) {
    case DType::F32: std::memcpy(out, in, n * 4); break;
    case DType::BF16: k.f32_to_bf16(in, static_cast<uint16_t*>(out), n); break;
    case DType::F16: k.f32_to_f16(in, static_cast<uint16_t*>(out), n); break;
    case DType::F8E4M3: {
      uint8_t* p = static_cast<uint8_t*>(out);
      for (size_t i = 0; i < n; ++i) p[i] = f32_to_f8e4m3(in[i]);
      break;
    }
  }
}

void cast_range(DType from, const uint8_t* in, DType to, uint8_t* out, size_t n) {
  if (from == DType::F32) return from_f32(reinterpret_cast<const float*>(in), to, out, n);
  if (to == DType::F32) return to_f32(from, in, reinterpret_cast<float*>(out), n);
  alignas(64) float block[kBlock];
  const size_t in_size = dtype_size(from), out_size = dtype_size(to);
  for (size_t i = 0; i < n; i += kBlock) {
    const size_t m = std::min(kBlock, n - i);
    to_f32(from, in + i * in_size, block, m);
    from_f32(block, to, out + i * out_size, m);
  }
}

}  // namespace

void binary_op(BinaryOp op, DType dtype, const void* a, const void* b, void* out, size_t n) {
  const KernelTable& k = kernels();
  const size_t es = dtype_size(dtype);
  const uint8_t* pa = static_cast<const uint8_t*>(a);
  const uint8_t* pb = static_cast<const uint8_t*>(b);
  uint8_t* po = static_cast<uint8_t*>(out);
  parallel_range(n, kGrain, [&](size_t begin, size_t end) {
    const size_t m = end - begin, off = begin * es;
    switch (dtype) {
      case DType::F32:
        k.binary_f32(op, reinterpret_cast<const float*>(pa + off), reinterpret_cast<const float*>(pb + off),
                     reinterpret_cast<float*>(po + off), m);
        break;
      case DType::BF16:
        k.binary_bf16(op, reinterpret_cast<const uint16_t*>(pa + off), reinterpret_cast<const uint16_t*>(pb + off),
                      reinterpret_cast<uint16_t*>(po + off), m);
        break;
      case DType::F16:
        k.binary_f16(op, reinterpret_cast<const uint16_t*>(pa + off), reinterpret_cast<const uint16_t*>(pb + off),
                     reinterpret_cast<uint16_t*>(po + off), m);
        break;
      case DType::F8E4M3: {
        // f8 is a weight storage type; arithmetic on it decodes, computes in f32 and re-encodes, per block.
        alignas(64) float x[kBlock], y[kBlock];
        for (size_t i = 0; i < m; i += kBlock) {
          const size_t c = std::min(kBlock, m - i);
          to_f32(DType::F8E4M3, pa + begin + i, x, c);
          to_f32(DType::F8E4M3, pb + begin + i, y, c);
          k.binary_f32(op, x, y, x, c);
          from_f32(x, DType::F8E4M3, po + begin + i, c);
        }
        break;
      }
    }
  });
}

void cast(DType from, const void* in, DType to, void* out, size_t n) {
  const uint8_t* pi = static_cast<const uint8_t*>(in);
  uint8_t* po = static_cast<uint8_t*>(out);
  if (from == to) {
    std::memcpy(po, pi, n * dtype_size(from));
    return;
  }
  parallel_range(n, kGrain, [&](size_t begin, size_t end) {
    cast_range(from, pi + begin * dtype_size(from), to, po + begin * dtype_size(to), end - begin);
  });
}

}  // namespace aiprod
