// Dispatch table of the pointwise row kernels (norms, modulation, activations, softmax, RoPE). Kept apart from
// KernelTable so these ops can grow without touching the elementwise table. Kernels work on contiguous f32
// rows; the drivers in native/kernels/pointwise stage bf16 through f32 and split rows over the thread pool.
// Every path must match the float64 definition of each op within the bound its test states; ref/ is the
// oracle (it accumulates in double and uses <cmath>), SIMD paths use f32 accumulators and polynomial exp/erf.
#pragma once
#include <cstddef>

#include "aiprod/kernels.h"

namespace aiprod {

enum class Activation : unsigned char { GeluTanh = 0, GeluErf = 1, Silu = 2, LeakyRelu = 3, Sigmoid = 4, Tanh = 5 };

struct PointwiseKernels {
  Isa isa;
  // Reductions over one row.
  float (*sum)(const float* x, size_t n);                    // Σ x
  float (*sum_sq_dev)(const float* x, float c, size_t n);    // Σ (x - c)²
  // Row transforms; y may alias x (and r for add_mul).
  void (*scale)(const float* x, float s, const float* w, float* y, size_t n);              // (x·s)·w, w may be null
  void (*norm_affine)(const float* x, float c, float a, float b, float* y, size_t n);      // (x - c)·a + b
  void (*modulate)(const float* x, const float* scale, const float* shift, float* y, size_t n);  // x·(1+scale)+shift
  void (*add_mul)(const float* r, const float* x, const float* g, float* y, size_t n);     // r + x·g
  void (*lerp)(const float* a, const float* b, float t, float* y, size_t n);               // a + t·(b - a)
  void (*sq_accumulate)(const float* x, float* acc, size_t n);                             // acc += x²
  void (*mul)(const float* x, const float* s, float* y, size_t n);                         // x·s
  void (*activation)(Activation op, float param, const float* x, float* y, size_t n);
  void (*softmax)(const float* x, float* y, size_t n);                                     // stable: max first
  // RoPE on one head row of d = 2·half elements; cos/sin hold half entries.
  // split: i pairs with i+half. interleaved: 2i pairs with 2i+1.
  void (*rope_split)(const float* x, const float* cos, const float* sin, float* y, size_t half);
  void (*rope_interleaved)(const float* x, const float* cos, const float* sin, float* y, size_t half);
};

const PointwiseKernels& ref_pointwise_kernels();
const PointwiseKernels* avx2_pointwise_kernels();    // null when not compiled in
const PointwiseKernels* avx512_pointwise_kernels();  // null when not compiled in

// The table for active_isa(): switches with setIsa / AIPROD_ISA like the elementwise kernels.
const PointwiseKernels& pointwise_kernels();

}  // namespace aiprod
