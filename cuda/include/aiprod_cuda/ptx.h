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
 * l/4, rows 2(l%4) and 2(l%4)+1).
 *
 * sm_90a wgmma (PTX ISA 9.7.15, "Asynchronous Warpgroup Level Matrix Multiply-Accumulate"): a warpgroup is 4
 * contiguous warps (128 threads, warp w = 4q..4q+3 of the block, w' = w % 4 below); all 128 execute each wgmma
 * instruction with uniform descriptors. m64nNk16 .f32 += .bf16 x .bf16, lane = 4g + t:
 *   D (64xN f32), N/2 registers: d[r] = D[16w' + g + 8((r>>1)&1)][8(r>>2) + 2t + (r&1)]
 *                 (per 8 columns, the C layout of mma.m16n8k16 for rows 16w'..16w'+15);
 *   A (64x16) from registers: warp w' holds rows 16w'..16w'+15 in mma.m16n8k16's A layout (a[0..3] above);
 *   B (16xN) (and A) from shared memory through a 64-bit matrix descriptor, `wgmma_desc`: start address >> 4
 *                 (bits 0-13), leading dimension byte offset >> 4 (16-29), stride dimension byte offset >> 4
 *                 (32-45), base offset 0, swizzle mode 0. Only mode 0 ("no swizzle", interleaved canonical
 *                 layout) is used here: 8x16-byte atoms of 128 contiguous bytes; K-major (trans 0): atom =
 *                 8 M/N rows x 8 K elements; MN-major (trans 1): atom = 8 K rows x 8 M/N elements; atoms
 *                 adjacent in K are LBO bytes apart, adjacent in M/N SBO bytes apart.
 * Accumulators are valid only after the wgmma.wait_group that retires their commit group; wgmma.fence must
 * precede the first wgmma after the accumulator or A registers were touched by other instructions, and
 * fence_proxy_async after generic-proxy writes (st.shared, cp.async) of shared operands and before the barrier
 * that publishes them. On an sm_80 build these compile to a trap (never reached: the launchers pick them only on
 * compute capability 9.0). */
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

// ---- sm_90a wgmma ------------------------------------------------------------------------------------
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define AIPROD_WGMMA_DEVICE 1
#endif

// Keeps the compiler from moving reads or writes of accumulator registers across wgmma fences and waits
// (an empty asm that "modifies" each register); no-op under emulation.
template <int N>
AIPROD_DI void wgmma_fence_operand(float (&d)[N]) {
#if defined(__CUDA_ARCH__)
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i])::"memory");
#else
  (void)d;
#endif
}

// wgmma.fence.sync.aligned: orders register accesses before the following wgmma.mma_async.
AIPROD_DI void wgmma_fence() {
#if defined(AIPROD_WGMMA_DEVICE)
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#elif defined(__CUDA_ARCH__)
  __trap();
#elif !defined(__CUDACC__)
  aiprod_emu::wgmma_fence();
#endif
}
// wgmma.commit_group.sync.aligned: closes the group of this warpgroup's wgmma.mma_async issued so far.
AIPROD_DI void wgmma_commit_group() {
#if defined(AIPROD_WGMMA_DEVICE)
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#elif defined(__CUDA_ARCH__)
  __trap();
#elif !defined(__CUDACC__)
  aiprod_emu::wgmma_commit();
#endif
}
// wgmma.wait_group.sync.aligned N: waits until at most N committed groups are pending; their accumulators are
// then valid.
template <int N>
AIPROD_DI void wgmma_wait_group() {
#if defined(AIPROD_WGMMA_DEVICE)
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
#elif defined(__CUDA_ARCH__)
  __trap();
#elif !defined(__CUDACC__)
  aiprod_emu::wgmma_wait(N);
#endif
}
// fence.proxy.async.shared::cta: makes this thread's generic-proxy writes of shared memory (st.shared, cp.async
// after its wait) visible to the async proxy that wgmma reads operands through. Not modelled by the emulation
// (a no-op there).
AIPROD_DI void fence_proxy_async_shared() {
#if defined(AIPROD_WGMMA_DEVICE)
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#elif defined(__CUDA_ARCH__)
  __trap();
#endif
}

// Matrix descriptor of a no-swizzle (interleaved) canonical operand at `smem` (16-byte aligned), with the byte
// offsets between atoms adjacent in K (`lbo`) and in M/N (`sbo`), multiples of 16 below 2^18.
AIPROD_DI uint64_t wgmma_desc(const void* smem, uint32_t lbo, uint32_t sbo) {
#if defined(__CUDA_ARCH__)
  const uint32_t addr = smem_u32(smem);
#elif !defined(__CUDACC__)
  const uint32_t addr = aiprod_emu::shared_address(smem);
#else
  const uint32_t addr = 0;  // nvcc's host pass: never called
  (void)smem;
#endif
  return uint64_t((addr & 0x3ffff) >> 4) | uint64_t((lbo & 0x3ffff) >> 4) << 16 | uint64_t((sbo & 0x3ffff) >> 4) << 32;
}

// D (64x64 f32) = A * B (+ D if `accumulate`), A (64x16 bf16) from registers, B (16x64 bf16) from shared memory:
// kTransB 0: K-major, 1: N-major. Warpgroup-collective and asynchronous (see the top of this file).
template <int kTransB>
AIPROD_DI void wgmma_m64n64k16_bf16_rs(float (&d)[32], const uint32_t (&a)[4], uint64_t b_desc, bool accumulate) {
#if defined(AIPROD_WGMMA_DEVICE)
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %36, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, {%32, %33, %34, %35}, %37, p, 1, 1, %38;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(int(accumulate)), "l"(b_desc), "n"(kTransB));
#elif defined(__CUDA_ARCH__)
  (void)d, (void)a, (void)b_desc, (void)accumulate;
  __trap();
#elif !defined(__CUDACC__)
  aiprod_emu::WgmmaOperands ops{};
  for (int i = 0; i < 4; ++i) ops.a[i] = a[i];
  ops.b_desc = b_desc;
  ops.n = 64;
  ops.trans_b = kTransB;
  ops.scale_d = accumulate ? 1 : 0;
  aiprod_emu::wgmma_mma_bf16(d, ops);
#endif
}

// Same with A (64x16) from shared memory too: kTransA 0: K-major, 1: M-major.
template <int kTransA, int kTransB>
AIPROD_DI void wgmma_m64n64k16_bf16_ss(float (&d)[32], uint64_t a_desc, uint64_t b_desc, bool accumulate) {
#if defined(AIPROD_WGMMA_DEVICE)
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1, %35, %36;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "l"(a_desc), "l"(b_desc), "r"(int(accumulate)), "n"(kTransA), "n"(kTransB));
#elif defined(__CUDA_ARCH__)
  (void)d, (void)a_desc, (void)b_desc, (void)accumulate;
  __trap();
#elif !defined(__CUDACC__)
  aiprod_emu::WgmmaOperands ops{};
  ops.a_desc = a_desc;
  ops.a_smem = 1;
  ops.b_desc = b_desc;
  ops.n = 64;
  ops.trans_a = kTransA;
  ops.trans_b = kTransB;
  ops.scale_d = accumulate ? 1 : 0;
  aiprod_emu::wgmma_mma_bf16(d, ops);
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
