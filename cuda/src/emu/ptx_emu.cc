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
