#include "aiprod/shape.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "aiprod/half.h"
#include "aiprod/threadpool.h"

namespace aiprod {
namespace {

inline float load(FloatIn x, size_t i) {
  return x.dtype == DType::F32 ? static_cast<const float*>(x.data)[i]
                               : bf16_to_f32(static_cast<const uint16_t*>(x.data)[i]);
}

inline void store(FloatOut y, size_t i, float v) {
  if (y.dtype == DType::F32) {
    static_cast<float*>(y.data)[i] = v;
  } else {
    static_cast<uint16_t*>(y.data)[i] = f32_to_bf16(v);
  }
}

inline float apply(BroadcastOp op, float a, float b) {
  switch (op) {
    case BroadcastOp::Add: return a + b;
    case BroadcastOp::Sub: return a - b;
    case BroadcastOp::Mul: return a * b;
    case BroadcastOp::Div: return a / b;
    case BroadcastOp::Max: return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
    case BroadcastOp::Min: return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b);
  }
  return 0.f;
}

// Collapses the output into rows of the last dimension; each row start is found from the multi-index.
struct RowWalker {
  const std::vector<int64_t>& shape;
  size_t rank;
  size_t rows;
  size_t inner;
  explicit RowWalker(const std::vector<int64_t>& s) : shape(s), rank(s.size()) {
    inner = rank ? size_t(s[rank - 1]) : 1;
    rows = 1;
    for (size_t i = 0; i + 1 < rank; ++i) rows *= size_t(s[i]);
  }
  // Element offset of row r's first element under `strides` (output-shaped, elements).
  int64_t offset(size_t r, const std::vector<int64_t>& strides) const {
    int64_t off = 0;
    for (size_t i = rank - 1; i-- > 0;) {
      const int64_t d = shape[i];
      off += int64_t(r % size_t(d)) * strides[i];
      r /= size_t(d);
    }
    return off;
  }
};

}  // namespace

void permute_copy(const void* src, void* dst, size_t elem, const std::vector<int64_t>& shape,
                  const std::vector<int>& perm) {
  const size_t rank = shape.size();
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * shape[i];
  std::vector<int64_t> out_shape(rank), strides(rank);  // strides: input element stride of each output axis
  for (size_t i = 0; i < rank; ++i) {
    out_shape[i] = shape[size_t(perm[i])];
    strides[i] = in_strides[size_t(perm[i])];
  }
  if (rank == 0) {
    std::memcpy(dst, src, elem);
    return;
  }
  RowWalker walk(out_shape);
  const int64_t last_stride = strides[rank - 1];
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  parallel_range(walk.rows, std::max<size_t>(1, 16384 / std::max<size_t>(1, walk.inner)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const uint8_t* in = s + size_t(walk.offset(r, strides)) * elem;
      uint8_t* out = d + r * walk.inner * elem;
      if (last_stride == 1) {
        std::memcpy(out, in, walk.inner * elem);  // the last axis stays last: one contiguous run
        continue;
      }
      const size_t step = size_t(last_stride) * elem;
      switch (elem) {
        case 4:
          for (size_t j = 0; j < walk.inner; ++j) std::memcpy(out + 4 * j, in + j * step, 4);
          break;
        case 2:
          for (size_t j = 0; j < walk.inner; ++j) std::memcpy(out + 2 * j, in + j * step, 2);
          break;
        default:
          for (size_t j = 0; j < walk.inner; ++j) std::memcpy(out + elem * j, in + j * step, elem);
      }
    }
  });
}

void copy_rows(const void* src, size_t src_stride, void* dst, size_t dst_stride, size_t rows, size_t row_bytes) {
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  parallel_range(rows, std::max<size_t>(1, 65536 / std::max<size_t>(1, row_bytes)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) std::memcpy(d + r * dst_stride, s + r * src_stride, row_bytes);
  });
}

void broadcast_binary(BroadcastOp op, FloatIn a, const std::vector<int64_t>& a_strides, FloatIn b,
                      const std::vector<int64_t>& b_strides, FloatOut out, const std::vector<int64_t>& out_shape) {
  if (out_shape.empty()) {
    store(out, 0, apply(op, load(a, 0), load(b, 0)));
    return;
  }
  RowWalker walk(out_shape);
  const size_t last = out_shape.size() - 1;
  const int64_t as = a_strides[last], bs = b_strides[last];
  parallel_range(walk.rows, std::max<size_t>(1, 16384 / std::max<size_t>(1, walk.inner)), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const size_t ao = size_t(walk.offset(r, a_strides)), bo = size_t(walk.offset(r, b_strides));
      const size_t oo = r * walk.inner;
      for (size_t j = 0; j < walk.inner; ++j) {
        store(out, oo + j, apply(op, load(a, ao + j * size_t(as)), load(b, bo + j * size_t(bs))));
      }
    }
  });
}

void affine(FloatIn x, float alpha, float beta, FloatOut y, size_t n) {
  parallel_range(n, 16384, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) {
      const float scaled = load(x, i) * alpha;  // two roundings, like PyTorch's x * alpha + beta
      store(y, i, scaled + beta);
    }
  });
}

}  // namespace aiprod
