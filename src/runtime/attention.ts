// Scaled dot-product attention (flash style: never an Nq x Nk matrix; see native/include/aiprod/attention.h).
import { loadBinding } from "../native/loadBinding.js";
import { pick } from "./device.js";
import { nativeOf, Tensor } from "./tensor.js";

export interface AttentionOptions {
  /** Score scale; default 1/sqrt(head_dim). */
  scale?: number;
  /** Additive f32 bias/mask, [Nq, Nk] or [1|B, 1|H, Nq, Nk] (-Infinity masks an entry). */
  bias?: Tensor;
  /** Keep keys j <= i (top-left aligned, as PyTorch's is_causal). */
  causal?: boolean;
  /** Keep keys with |i - j| < window (Gemma's sliding-window layers, with causal). */
  window?: number;
}

/**
 * softmax(scale · q·kᵀ + bias) · v per head. q [B, H, Nq, D]; k, v [B, Hkv, Nk, D] with H a multiple of Hkv
 * (grouped-query heads). f32, bf16 or f16 inputs; the result is f32 [B, H, Nq, D]. Fully masked rows give zeros.
 * With bf16 q, k and v on a CPU with AVX512_BF16, both products run in bf16 with f32 accumulation and the
 * softmax weights are rounded to bf16 (FlashAttention's bf16 numerics); otherwise everything is f32.
 * On cuda tensors (the flash-attention kernel): q, k and v of one dtype, f32 or bf16 (others are
 * ERR_AIPROD_UNSUPPORTED); a bf16 result is written in bf16 by the kernel and widened to the f32 output.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const b = loadBinding();
  const fn = pick("attention", { q, k, v, bias: opts.bias }, b.attention, b.cudaAttention);
  const native = fn(nativeOf(q, "attention", "q"), nativeOf(k, "attention", "k"), nativeOf(v, "attention", "v"), {
    ...(opts.scale !== undefined ? { scale: opts.scale } : {}),
    ...(opts.bias ? { bias: nativeOf(opts.bias, "attention", "bias") } : {}),
    ...(opts.causal !== undefined ? { causal: opts.causal } : {}),
    ...(opts.window !== undefined ? { window: opts.window } : {}),
  });
  return Tensor.fromNative(native);
}
