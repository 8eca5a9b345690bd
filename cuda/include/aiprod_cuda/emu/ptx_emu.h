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

}  // namespace aiprod_emu

#endif
