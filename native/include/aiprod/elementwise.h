// Elementwise ops and casts on whole buffers: validate nothing (the binding did), split over the thread pool,
// call the active kernel path.
#pragma once
#include <cstddef>
#include "aiprod/dtype.h"
#include "aiprod/kernels.h"

namespace aiprod {

void binary_op(BinaryOp op, DType dtype, const void* a, const void* b, void* out, size_t n);
void cast(DType from, const void* in, DType to, void* out, size_t n);

}  // namespace aiprod
