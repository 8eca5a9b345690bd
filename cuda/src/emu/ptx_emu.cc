// The tensor-core and ldmatrix instructions on the host, computed from the PTX ISA operand layouts (see the
// table at the top of aiprod_cuda/ptx.h). Each is a warp collective: every lane deposits its registers, and
// the instruction is evaluated once for the whole warp when the last lane arrives.
#include "aiprod_cuda/emu/ptx_emu.h"

#include <cstring>
#include <string>

#include "aiprod_cuda/emu/emu.h"

namespace aiprod_emu {
namespace {

float bf16(uint16_t b) {
  const uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float f16(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  uint32_t u;
  if (exp == 0) {
    float v = float(man) * 5.9604644775390625e-8f;
    std::memcpy(&u, &v, 4);
    u |= sign;
  } else if (exp == 31) {
    u = sign | 0x7f800000u | (man << 13) | (man ? 0x400000u : 0u);
  } else {
    u = sign | ((exp + 112u) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

struct MmaIn {
  uint32_t a[4];
  uint32_t b[2];
  float c[4];
};

template <MmaType T>
float element(uint32_t reg, int half) {
  const uint16_t bits = uint16_t(half ? reg >> 16 : reg & 0xffffu);
  return T == MmaType::bf16 ? bf16(bits) : f16(bits);
}

// Reassembles A (16x16), B (16x8) and C (16x8) from the 32 lanes' fragments, multiplies, and scatters D back.
template <MmaType T>
void mma_combine(const void* ins, void* outs, unsigned, const void*) {
  const auto* in = static_cast<const MmaIn*>(ins);
  auto* out = static_cast<float(*)[4]>(outs);
  float A[16][16], B[16][8], C[16][8];
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane >> 2, t = lane & 3;
    for (int i = 0; i < 8; ++i) {
      const int row = (i < 2 || (i >= 4 && i < 6)) ? g : g + 8;
      const int col = (i < 4 ? 2 * t : 2 * t + 8) + (i & 1);
      A[row][col] = element<T>(in[lane].a[i / 2], i & 1);
    }
    for (int i = 0; i < 4; ++i) {
      const int row = (i < 2 ? 2 * t : 2 * t + 8) + (i & 1);
      B[row][g] = element<T>(in[lane].b[i / 2], i & 1);
    }
    for (int i = 0; i < 4; ++i) C[i < 2 ? g : g + 8][2 * t + (i & 1)] = in[lane].c[i];
  }
  float D[16][8];
  for (int m = 0; m < 16; ++m) {
    for (int n = 0; n < 8; ++n) {
      // The products of 8-bit-mantissa inputs are exact; the sum is kept wide and rounded once to f32.
      double s = C[m][n];
      for (int k = 0; k < 16; ++k) s += double(A[m][k]) * double(B[k][n]);
      D[m][n] = float(s);
    }
  }
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane >> 2, t = lane & 3;
    for (int i = 0; i < 4; ++i) out[lane][i] = D[i < 2 ? g : g + 8][2 * t + (i & 1)];
  }
}

struct LdmatrixCtx {
  int count;
  bool trans;
};

void ldmatrix_combine(const void* ins, void* outs, unsigned, const void* ctx) {
  const auto* addr = static_cast<const uintptr_t*>(ins);
  auto* out = static_cast<uint32_t(*)[4]>(outs);
  const auto* c = static_cast<const LdmatrixCtx*>(ctx);
  for (int j = 0; j < c->count; ++j) {
    for (int lane = 0; lane < 32; ++lane) {
      uint16_t lo, hi;
      if (!c->trans) {
        const auto* row = reinterpret_cast<const uint16_t*>(addr[8 * j + lane / 4]);
        lo = row[2 * (lane % 4)];
        hi = row[2 * (lane % 4) + 1];
      } else {
        lo = reinterpret_cast<const uint16_t*>(addr[8 * j + 2 * (lane % 4)])[lane / 4];
        hi = reinterpret_cast<const uint16_t*>(addr[8 * j + 2 * (lane % 4) + 1])[lane / 4];
      }
      out[lane][j] = uint32_t(lo) | uint32_t(hi) << 16;
    }
  }
}

// ---- wgmma.mma_async.sync.aligned.m64nNk16.f32.bf16.bf16 (PTX ISA 9.7.15, "Asynchronous Warpgroup Level
// Matrix Multiply-Accumulate Instructions") --------------------------------------------------------------
// Thread i of the warpgroup (warp w = i / 32, lane = 4 g + t):
//  - D (64 x N, f32), register r < N / 2 (9.7.15.5.1.1, "Register Fragments", matrix D):
//      row 16 w + g + 8 ((r >> 1) & 1), column 8 (r >> 2) + 2 t + (r & 1);
//  - A from registers (64 x 16, .bf16, same section, matrix A): warp w holds rows 16 w..16 w + 15 in the layout
//      of mma.m16n8k16's A: a[0] = {A[g][2t], A[g][2t+1]}, a[1] = row g + 8, a[2] = columns + 8, a[3] = both;
//  - A and B from shared memory through a matrix descriptor (9.7.15.5.1.2, "Shared Memory Matrix Layout", and
//      its "Matrix Descriptor Format"): bits 0-13 start address >> 4, 16-29 leading dimension byte offset >> 4,
//      32-45 stride dimension byte offset >> 4, 49-51 base offset, 62-63 swizzle mode. Only swizzle mode 0
//      ("no swizzle", the interleaved canonical layout) with base offset 0 is emulated; others are an error.
//      The canonical no-swizzle layouts are made of 8 x 16-byte atoms (128 contiguous bytes):
//        K-major  (trans 0): atom = 8 rows of M/N x 8 bf16 of K, each row 16 contiguous bytes;
//        MN-major (trans 1): atom = 8 rows of K x 8 bf16 of M/N;
//      adjacent atoms along K are LBO bytes apart, along M/N SBO bytes apart. So element (x, k), x the M or N
//      index, is at start + (x / 8) SBO + (k / 8) LBO + (K-major: (x % 8) 16 + (k % 8) 2;
//      MN-major: (k % 8) 16 + (x % 8) 2).
struct WgmmaIn {
  WgmmaOperands ops;
  float c[128];
};

struct Smem {
  const unsigned char* base;
  size_t bytes;
};

float smem_bf16(const Smem& sm, uint64_t desc, bool mn_major, int x, int k, const char* which) {
  const uint32_t start = uint32_t(desc & 0x3fff) << 4, lbo = uint32_t((desc >> 16) & 0x3fff) << 4,
                 sbo = uint32_t((desc >> 32) & 0x3fff) << 4;
  const size_t off = size_t(start) + size_t(x / 8) * sbo + size_t(k / 8) * lbo +
                     (mn_major ? size_t(k % 8) * 16 + size_t(x % 8) * 2 : size_t(x % 8) * 16 + size_t(k % 8) * 2);
  if (off + 2 > sm.bytes) {
    fail(std::string("wgmma: the ") + which + " descriptor reads byte " + std::to_string(off) +
         ", past the block's " + std::to_string(sm.bytes) + " bytes of dynamic shared memory");
  }
  uint16_t bits;
  std::memcpy(&bits, sm.base + off, 2);
  return bf16(bits);
}

void check_desc(uint64_t desc, const char* which) {
  if ((desc >> 62) != 0) {
    fail(std::string("wgmma: the ") + which + " descriptor asks for swizzle mode " + std::to_string(desc >> 62) +
         "; the emulation implements only mode 0 (no swizzle)");
  }
  if (((desc >> 49) & 7) != 0) fail(std::string("wgmma: the ") + which + " descriptor has a nonzero base offset");
}

void wgmma_combine(const void* ins, void* outs, unsigned, const void*) {
  const auto* in = static_cast<const WgmmaIn*>(ins);
  auto* out = static_cast<float*>(outs);  // N / 2 per thread
  const WgmmaOperands& o = in[0].ops;
  for (int i = 1; i < 128; ++i) {
    const WgmmaOperands& x = in[i].ops;
    if (x.n != o.n || x.a_smem != o.a_smem || x.trans_a != o.trans_a || x.trans_b != o.trans_b ||
        x.scale_d != o.scale_d || x.b_desc != o.b_desc || (o.a_smem && x.a_desc != o.a_desc)) {
      fail("wgmma.mma_async: thread " + std::to_string(i) +
           " of the warpgroup has other descriptors, shape or flags than thread 0 (they must be uniform)");
    }
  }
  const int N = o.n;
  check_desc(o.b_desc, "B");
  if (o.a_smem) check_desc(o.a_desc, "A");
  const Smem sm{static_cast<const unsigned char*>(dynamic_shared_memory()), dynamic_shared_memory_bytes()};
  float A[64][16], B[16][256];
  if (o.a_smem) {
    for (int m = 0; m < 64; ++m)
      for (int k = 0; k < 16; ++k) A[m][k] = smem_bf16(sm, o.a_desc, o.trans_a != 0, m, k, "A");
  } else {
    for (int i = 0; i < 128; ++i) {
      const int w = i / 32, g = (i % 32) / 4, t = i % 4;
      for (int r = 0; r < 8; ++r) {
        const int row = 16 * w + g + ((r >> 1) & 1) * 8, col = 2 * t + (r & 1) + (r >> 2) * 8;
        A[row][col] = element<MmaType::bf16>(in[i].ops.a[r / 2], r & 1);
      }
    }
  }
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < 16; ++k) B[k][n] = smem_bf16(sm, o.b_desc, o.trans_b != 0, n, k, "B");
  for (int i = 0; i < 128; ++i) {
    const int w = i / 32, g = (i % 32) / 4, t = i % 4;
    for (int r = 0; r < N / 2; ++r) {
      const int row = 16 * w + g + ((r >> 1) & 1) * 8, col = 8 * (r >> 2) + 2 * t + (r & 1);
      // exact bf16 products, summed wide and rounded once to f32 (as the mma.sync emulation)
      double s = o.scale_d ? double(in[i].c[r]) : 0.0;
      for (int k = 0; k < 16; ++k) s += double(A[row][k]) * double(B[k][col]);
      out[i * (N / 2) + r] = float(s);
    }
  }
}

const LdmatrixCtx kLdmatrix[2][3] = {{{1, false}, {2, false}, {4, false}}, {{1, true}, {2, true}, {4, true}}};

}  // namespace

void mma_m16n8k16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2], const float (&c)[4], MmaType type) {
  MmaIn in;
  std::memcpy(in.a, a, sizeof in.a);
  std::memcpy(in.b, b, sizeof in.b);
  std::memcpy(in.c, c, sizeof in.c);
  float out[4];
  if (type == MmaType::bf16) {
    warp_collective("mma.sync.m16n8k16.bf16", 0xffffffffu, &in, sizeof in, out, sizeof out, &mma_combine<MmaType::bf16>);
  } else {
    warp_collective("mma.sync.m16n8k16.f16", 0xffffffffu, &in, sizeof in, out, sizeof out, &mma_combine<MmaType::f16>);
  }
  std::memcpy(d, out, sizeof out);
}

void ldmatrix(uint32_t* r, int count, bool trans, const void* row_address) {
  const auto addr = reinterpret_cast<uintptr_t>(row_address);
  const unsigned lane = lane_id();
  // Only the lanes that supply a row address for `count` matrices are checked, as only they are read.
  if (lane < unsigned(8 * count) && addr % 16 != 0) {
    fail("ldmatrix: lane " + std::to_string(lane) + "'s row address is not 16-byte aligned");
  }
  const int which = count == 1 ? 0 : (count == 2 ? 1 : 2);
  uint32_t out[4] = {0, 0, 0, 0};
  warp_collective(trans ? "ldmatrix.trans" : "ldmatrix", 0xffffffffu, &addr, sizeof addr, out, sizeof out,
                  &ldmatrix_combine, &kLdmatrix[trans ? 1 : 0][which]);
  for (int j = 0; j < count; ++j) r[j] = out[j];
}

}  // namespace aiprod_emu

namespace aiprod_emu {

uint32_t shared_address(const void* p) {
  const auto* base = static_cast<const unsigned char*>(dynamic_shared_memory());
  const auto* q = static_cast<const unsigned char*>(p);
  if (q < base || q >= base + dynamic_shared_memory_bytes()) {
    fail("wgmma descriptor: the address is not in the block's dynamic shared memory (the emulation decodes "
         "descriptors relative to it)");
  }
  return uint32_t(q - base);
}

void wgmma_mma_bf16(float* d, const WgmmaOperands& ops) {
  if (ops.n < 8 || ops.n > 256 || ops.n % 8) fail("wgmma: N must be a multiple of 8 in 8..256");
  if (!wgmma_fenced()) {
    fail("wgmma.mma_async without a wgmma.fence since this thread's last wgmma.wait_group (the accumulator and A "
         "registers must be fenced before the first wgmma that uses them)");
  }
  WgmmaIn in;
  std::memset(&in, 0, sizeof in);
  in.ops = ops;
  const int count = ops.n / 2;
  if (count > 128) fail("wgmma: the emulation holds at most 128 accumulators per thread (N <= 256)");
  // The accumulator input: the newest queued result of a wgmma in flight on the same registers (the hardware
  // chains them), else the registers themselves.
  const float* pending = wgmma_pending(d);
  std::memcpy(in.c, pending ? pending : d, sizeof(float) * size_t(count));
  float out[128];
  warpgroup_collective("wgmma.mma_async.m64nNk16.bf16", &in, sizeof in, out, sizeof(float) * size_t(count),
                       &wgmma_combine);
  wgmma_enqueue(d, out, count);
}

}  // namespace aiprod_emu
