// Multi-head scaled dot-product attention, flash style: keys are visited in blocks with an online softmax, so
// extra memory is O(N·d) (packed K and V of one kv head, plus per-thread tiles), never an Nq x Nk matrix.
//   out[b,h,i,:] = Σ_j softmax_j(scale · q[b,h,i]·k[b,g,j] + bias[b,h,i,j]) · v[b,g,j,:],  g = h / (H/Hkv)
// Masks: causal keeps j <= i (top-left aligned, as PyTorch's is_causal); window w keeps i - j < w (and, with
// causal, j <= i) for Gemma's sliding layers (|i - j| < w without causal); an additive bias of -inf masks single entries. A row whose keys
// are all masked gives zeros.
#pragma once
#include <cstddef>

namespace aiprod {

struct AttentionArgs {
  const float* q;  // [B, H, Nq, D]
  const float* k;  // [B, Hkv, Nk, D]
  const float* v;  // [B, Hkv, Nk, D]
  float* out;      // [B, H, Nq, D]
  size_t batch, heads, kv_heads, nq, nk, d;
  float scale;
  const float* bias = nullptr;  // [Nq, Nk] rows, located at b*bias_stride_b + h*bias_stride_h (strides may be 0)
  size_t bias_stride_b = 0, bias_stride_h = 0;
  bool causal = false;
  size_t window = 0;  // 0: no sliding window
  // Inputs hold bf16 values (q, k, v were bf16 tensors): where the CPU has bf16 dot products, both products run
  // as bf16 x bf16 with f32 accumulation and P is rounded to bf16 (FlashAttention's bf16 numerics).
  bool bf16 = false;
};

void attention(const AttentionArgs& args);
void attention_ref(const AttentionArgs& args);

// Whether key j is visible from query i under the masks of args (bias aside).
inline bool attention_visible(const AttentionArgs& a, size_t i, size_t j) {
  if (a.causal && j > i) return false;
  if (a.window && (i >= j ? i - j : j - i) >= a.window) return false;
  return true;
}

}  // namespace aiprod
