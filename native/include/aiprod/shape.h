// Data movement and broadcasting for model code: permute (a transposing copy), block copies for concat and
// strided slices, numpy-style broadcast arithmetic and x·alpha + beta. Plain C++ over raw buffers; the
// binding (native/binding/ops_shape.cc) validates shapes and dtypes first.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "aiprod/pointwise.h"

namespace aiprod {

// out = src with axes reordered: out.shape[i] = shape[perm[i]]. elem = bytes per element (1, 2 or 4).
void permute_copy(const void* src, void* dst, size_t elem, const std::vector<int64_t>& shape, const std::vector<int>& perm);

// Copies `rows` rows of `row_bytes` bytes from src (rows src_stride bytes apart) to dst (dst_stride apart).
void copy_rows(const void* src, size_t src_stride, void* dst, size_t dst_stride, size_t rows, size_t row_bytes);

enum class BroadcastOp { Add, Sub, Mul, Div, Max, Min };

// out[i] = a[i'] op b[i''] over out_shape, where a_strides/b_strides (elements, 0 on broadcast axes) map an
// output index to each input; computed in f32, stored in out's dtype.
void broadcast_binary(BroadcastOp op, FloatIn a, const std::vector<int64_t>& a_strides, FloatIn b,
                      const std::vector<int64_t>& b_strides, FloatOut out, const std::vector<int64_t>& out_shape);

// y = x·alpha + beta, computed in f32.
void affine(FloatIn x, float alpha, float beta, FloatOut y, size_t n);

}  // namespace aiprod
