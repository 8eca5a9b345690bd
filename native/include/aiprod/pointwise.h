// Pointwise ops over whole tensors (norms, modulation, activations, softmax, reductions over the last dim,
// RoPE). Plain C++: the binding has validated dtypes and shapes. Inputs and outputs are f32 or bf16; compute
// is f32 (bf16 is widened per row into scratch and the result rounded once, nearest even). Rows are split
// over the thread pool and each row goes through pointwise_kernels() (the active ISA path).
#pragma once
#include <cstddef>

#include "aiprod/dtype.h"
#include "aiprod/pointwise_kernels.h"

namespace aiprod {

struct FloatIn {
  const void* data;
  DType dtype;  // F32 or BF16
};
struct FloatOut {
  void* data;
  DType dtype;  // F32 or BF16
};

// Which parameter row goes with row r of x: (r / div) % count. E.g. x [B,T,D] with a table [B,T,D]: div 1,
// count B·T; [B,1,D]: div T, count B; [D]: div 1, count 1; [T,D]: div 1, count T.
struct RowMap {
  size_t div = 1, count = 1;
  size_t row(size_t r) const { return (r / div) % count; }
};

// Last-dim ops on rows × d.
void rms_norm(FloatIn x, const FloatIn* weight, float eps, FloatOut y, size_t rows, size_t d);
void layer_norm(FloatIn x, float eps, FloatOut y, size_t rows, size_t d);
void softmax(FloatIn x, FloatOut y, size_t rows, size_t d);
// out[r] = mean of row r; std: sqrt(Σ(x−mean)²/(d − ddof)).
void row_mean(FloatIn x, FloatOut out, size_t rows, size_t d);
void row_std(FloatIn x, bool unbiased, FloatOut out, size_t rows, size_t d);

// x viewed as [outer, c, inner], normalized over c: x / sqrt(mean(x²) + eps).
void pixel_norm(FloatIn x, float eps, FloatOut y, size_t outer, size_t c, size_t inner);
// x viewed as [batch, channels, inner]; channels split into groups of channels/groups consecutive channels.
void group_norm(FloatIn x, const FloatIn* weight, const FloatIn* bias, float eps, FloatOut y, size_t batch,
                size_t channels, size_t groups, size_t inner);

// y = x·(1+scale)+shift and y = residual + x·g on rows × d, parameter rows picked by the maps.
void ada_ln(FloatIn x, FloatIn scale, RowMap scale_map, FloatIn shift, RowMap shift_map, FloatOut y, size_t rows,
            size_t d);
void add_mul(FloatIn residual, FloatIn x, FloatIn g, RowMap g_map, FloatOut y, size_t rows, size_t d);

void activation(Activation op, float param, FloatIn x, FloatOut y, size_t n);
void lerp(FloatIn a, FloatIn b, float t, FloatOut y, size_t n);

// RoPE on x [B,H,T,d]. Table layouts (cos and sin alike, half = d/2 entries per row):
enum class RopeTable : unsigned char {
  BTH = 0,  // [B,T,H,half]: LTX-2 SPLIT tables, per batch
  TH = 1,   // [T,H,half]: LTX-2 SPLIT tables shared by the batch
  T = 2,    // [T,half]: shared by every head (Gemma rotate_half, interleaved RoPE)
};
void rope(bool interleaved, FloatIn x, FloatIn cos, FloatIn sin, RopeTable layout, FloatOut y, size_t batch,
          size_t heads, size_t tokens, size_t d);

}  // namespace aiprod
