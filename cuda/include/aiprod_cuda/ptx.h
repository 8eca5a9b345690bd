/* The warp-level instructions the kernels use, one inline function each: inline PTX on the GPU, and on the
 * host the same instruction computed from the operand layouts of NVIDIA's PTX ISA (section 9.7.14,
 * "Matrix multiply-accumulate operation using mma instruction" / "ldmatrix" / "cp.async"). Kernels call only
 * these, so they never branch on where they run.
 *
 * Fragment layouts (PTX ISA, mma.m16n8k16 with .bf16/.f16 operands), lane = 4*groupID + threadID_in_group:
 *   A (16x16, row): a[0] = {A[g][2t], A[g][2t+1]}, a[1] = {A[g+8][2t], ..}, a[2] = {A[g][2t+8], ..},
 *                   a[3] = {A[g+8][2t+8], ..}          (low 16 bits = the lower column)
 *   B (16x8, col):  b[0] = {B[2t][g], B[2t+1][g]},    b[1] = {B[2t+8][g], B[2t+9][g]}
 *   C/D (16x8 f32): c[0] = C[g][2t], c[1] = C[g][2t+1], c[2] = C[g+8][2t], c[3] = C[g+8][2t+1]
 * ldmatrix .m8n8 .b16 (x1/x2/x4): lanes 8j..8j+7 give the row addresses of matrix j (16 bytes each, 16-byte
 * aligned); register j of lane l receives row l/4, columns 2(l%4) and 2(l%4)+1 of matrix j (.trans: column
 * l/4, rows 2(l%4) and 2(l%4)+1). */
#ifndef AIPROD_CUDA_PTX_H
#define AIPROD_CUDA_PTX_H

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"

#if !defined(__CUDACC__)
#include "aiprod_cuda/emu/ptx_emu.h"
#endif

namespace aiprod_cuda {

// D = A*B + C, bf16 inputs, f32 accumulation. Warp-collective (all 32 lanes).
AIPROD_DI void mma_bf16_16816(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2], const float (&c)[4]) {
#if defined(__CUDA_ARCH__)
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%10,%11,%12,%13};\n"
      : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]),
        "f"(c[3]));
#elif !defined(__CUDACC__)
  aiprod_emu::mma_m16n8k16(d, a, b, c, aiprod_emu::MmaType::bf16);
#endif
}

// Same with f16 inputs.
AIPROD_DI void mma_f16_16816(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2], const float (&c)[4]) {
#if defined(__CUDA_ARCH__)
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%10,%11,%12,%13};\n"
      : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]),
        "f"(c[3]));
#elif !defined(__CUDACC__)
  aiprod_emu::mma_m16n8k16(d, a, b, c, aiprod_emu::MmaType::f16);
#endif
}

#if defined(__CUDA_ARCH__)
AIPROD_DI unsigned smem_u32(const void* p) { return unsigned(__cvta_generic_to_shared(p)); }
#endif

// ldmatrix.sync.aligned.m8n8.x4.shared.b16 (and .trans). Warp-collective.
AIPROD_DI void ldmatrix_x4(uint32_t (&r)[4], const void* row_address) {
#if defined(__CUDA_ARCH__)
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_u32(row_address)));
#elif !defined(__CUDACC__)
  aiprod_emu::ldmatrix(r, 4, false, row_address);
#endif
}
AIPROD_DI void ldmatrix_x4_trans(uint32_t (&r)[4], const void* row_address) {
#if defined(__CUDA_ARCH__)
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_u32(row_address)));
#elif !defined(__CUDACC__)
  aiprod_emu::ldmatrix(r, 4, true, row_address);
#endif
}
AIPROD_DI void ldmatrix_x2(uint32_t (&r)[2], const void* row_address) {
#if defined(__CUDA_ARCH__)
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(smem_u32(row_address)));
#elif !defined(__CUDACC__)
  aiprod_emu::ldmatrix(r, 2, false, row_address);
#endif
}
AIPROD_DI void ldmatrix_x2_trans(uint32_t (&r)[2], const void* row_address) {
#if defined(__CUDA_ARCH__)
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(smem_u32(row_address)));
#elif !defined(__CUDACC__)
  aiprod_emu::ldmatrix(r, 2, true, row_address);
#endif
}

// cp.async.cg.shared.global 16 bytes; `src_bytes` < 16 zero-fills the rest (0: a pure zero fill, src unread).
AIPROD_DI void cp_async_16(void* smem_dst, const void* global_src, unsigned src_bytes = 16) {
#if defined(__CUDA_ARCH__)
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_u32(smem_dst)), "l"(global_src),
               "r"(src_bytes));
#elif !defined(__CUDACC__)
  aiprod_emu::cp_async(smem_dst, global_src, 16, src_bytes);
#endif
}
// cp.async.commit_group: closes the group of copies issued so far by this thread.
AIPROD_DI void cp_async_commit() {
#if defined(__CUDA_ARCH__)
  asm volatile("cp.async.commit_group;\n" ::);
#elif !defined(__CUDACC__)
  aiprod_emu::cp_async_commit();
#endif
}
// cp.async.wait_group N: waits until at most N of this thread's committed groups are still in flight.
template <int N>
AIPROD_DI void cp_async_wait() {
#if defined(__CUDA_ARCH__)
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#elif !defined(__CUDACC__)
  aiprod_emu::cp_async_wait(N);
#endif
}

// Fast base-2 exponent (ex2.approx.ftz.f32 on the GPU: ~2 ulp; exact exp2f under emulation, within bounds).
AIPROD_DI float fast_exp2(float x) {
#if defined(__CUDA_ARCH__)
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
#else
  return exp2f(x);
#endif
}

}  // namespace aiprod_cuda

#endif
