/* Host emulation of the warp-level instructions in aiprod_cuda/ptx.h (declarations; cuda/src/emu/ptx_emu.cc
 * computes them from the PTX ISA operand layouts). */
#ifndef AIPROD_CUDA_EMU_PTX_EMU_H
#define AIPROD_CUDA_EMU_PTX_EMU_H

#include <cstddef>
#include <cstdint>

namespace aiprod_emu {

enum class MmaType { bf16, f16 };
// mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}: collective over the full warp.
void mma_m16n8k16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2], const float (&c)[4], MmaType type);
// ldmatrix.sync.aligned.m8n8.x{1,2,4}[.trans].shared.b16: collective over the full warp.
void ldmatrix(uint32_t* r, int count, bool trans, const void* row_address);
// cp.async: queued per thread; performed when a cp.async.wait_group releases its group (or at thread exit),
// so a kernel that reads before waiting sees the poisoned or stale shared memory, as it could on a GPU.
void cp_async(void* dst, const void* src, unsigned bytes, unsigned src_bytes);
void cp_async_commit();
void cp_async_wait(int n);

// wgmma (sm_90a), warpgroup-wide. The product is computed when the 128 threads have arrived, reading shared
// memory then; each thread's accumulator result is queued and written to its registers only by the
// wgmma.wait_group that retires its commit group, so reading the accumulators before the wait sees the old
// values (as it may on a GPU). A chained wgmma on the same accumulators takes the queued value as its input.
// mma_async without a wgmma.fence since the thread's last wait_group (or the kernel start) is an error, as is a
// thread that exits with wgmma in flight.
struct WgmmaOperands {
  uint32_t a[4];       // A fragment (registers), unused when a_desc is used
  uint64_t a_desc;     // A in shared memory (a_smem)
  uint64_t b_desc;     // B in shared memory
  int n;               // N of m64nNk16
  int a_smem, trans_a, trans_b, scale_d;
};
void wgmma_mma_bf16(float* d, const WgmmaOperands& ops);
void wgmma_fence();
void wgmma_commit();
void wgmma_wait(int n);
// The 18-bit shared-window address of `p`, which must lie in the block's dynamic shared memory (on the GPU,
// __cvta_generic_to_shared); the emulation decodes descriptors relative to the dynamic shared memory.
uint32_t shared_address(const void* p);

// Internal: the per-thread queue of asynchronous accumulator writes (cuda/src/emu/emu.cc).
void wgmma_enqueue(float* d, const float* values, int count);
const float* wgmma_pending(const float* d);  // the newest queued value of d, or null
bool wgmma_fenced();

}  // namespace aiprod_emu

#endif
