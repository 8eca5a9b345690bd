// The benchmark cases: shapes from LTX-2's CPU hot spots, each with its FLOP count, the peer's ONNX
// formulations, and how to run our op on the same data. Inputs are made in prepare(), so a filtered-out case
// costs nothing.
import { Tensor } from "../src/index.js";
import { randomF32, swapHeadsAndTokens } from "./lib/data.js";
import type { OurOps } from "./lib/ours.js";
import { attentionDecomposedModel, attentionMhaModel, conv3dModel, gemmModel, type PeerModel } from "./onnx/models.js";

export interface OursRun {
  run(): Tensor;
}

export interface PreparedCase {
  /** Every formulation the peer is measured with; the fastest is reported. */
  peers: PeerModel[];
  feeds(peer: PeerModel): Record<string, Float32Array>;
  /** Our op on this case's tensors, or why it cannot run. */
  ours(ops: OurOps): OursRun | { unavailable: string };
  /** max |ours - peer| / max |peer| over the elements both sides define the same way. */
  relError(ours: Float32Array, peer: Float32Array, peerModel: PeerModel): number;
  /** The output shape our op must produce. */
  outputShape: number[];
  /** Frees the native tensors. */
  dispose(): void;
}

export interface BenchCase {
  name: string;
  shape: string;
  /** By the convention in README "Benchmarks": GEMM 2MNK, attention 4·B·H·Nq·Nk·D, conv3d 2·Cout·Cin·27·T·H·W. */
  flops: number;
  /** Largest acceptable max |ours - peer| / max |peer| (see relError). */
  tolerance: number;
  prepare(): PreparedCase;
}

// Both sides see the same values, so in f32 only summation order differs (~1e-6 relative). A bf16-weight GEMM
// may also round the activations to bf16 to use bf16 dot products (vdpbf16ps), which is ~4e-3 relative.
const F32_TOLERANCE = 1e-3;
const BF16_DOT_TOLERANCE = 2e-2;

function relError(a: Float32Array, b: Float32Array, include: (i: number) => boolean = () => true): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (!include(i)) continue;
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

export function gemmCase(M: number, K: number, N: number, weightDtype: "f32" | "bf16"): BenchCase {
  return {
    name: weightDtype === "f32" ? "gemm-f32" : "gemm-bf16-weight",
    shape: `M${M} K${K} N${N}${weightDtype === "bf16" ? " (W bf16)" : ""}`,
    flops: 2 * M * N * K,
    tolerance: weightDtype === "bf16" ? BF16_DOT_TOLERANCE : F32_TOLERANCE,
    prepare() {
      const x = randomF32(M * K, 1), w = randomF32(N * K, 2);
      const xt = Tensor.from(x, [M, K], "f32");
      const wt = Tensor.from(w, [N, K], weightDtype);
      // The peer gets exactly the weight values we use: the bf16 bits of our tensor.
      const weight = weightDtype === "bf16" ? (wt.read() as Uint16Array) : w;
      return {
        peers: [gemmModel({ M, K, N, weight, form: "gemm-transB" }), gemmModel({ M, K, N, weight, form: "matmul-pretransposed" })],
        feeds: () => ({ x }),
        ours: (ops) => {
          const linear = ops.linear;
          return linear ? { run: () => linear(xt, wt) } : { unavailable: "linear is not exported yet" };
        },
        relError: (o, p) => relError(o, p),
        outputShape: [M, N],
        dispose: () => [xt, wt].forEach((t) => t.dispose()),
      };
    },
  };
}

/**
 * Attention on [B,H,N,D]. With dtype "bf16" our inputs are bf16 tensors (bf16 products, bf16 P where the CPU has
 * AVX512_BF16); onnxruntime has no bf16 attention on CPU, so the peer runs f32 on the same (bf16-rounded) values.
 */
export function attentionCase(name: string, B: number, H: number, Nq: number, Nk: number, D: number, dtype: "f32" | "bf16" = "f32"): BenchCase {
  return {
    name,
    shape: `B${B} H${H} Nq${Nq} Nk${Nk} D${D}${dtype === "bf16" ? " (bf16 in)" : ""}`,
    flops: 4 * B * H * Nq * Nk * D,
    tolerance: dtype === "bf16" ? BF16_DOT_TOLERANCE : F32_TOLERANCE,
    prepare() {
      const scale = 1 / Math.sqrt(D);
      const qt = Tensor.from(randomF32(B * H * Nq * D, 3), [B, H, Nq, D], dtype);
      const kt = Tensor.from(randomF32(B * H * Nk * D, 4), [B, H, Nk, D], dtype);
      const vt = Tensor.from(randomF32(B * H * Nk * D, 5), [B, H, Nk, D], dtype);
      // The peer sees exactly our input values.
      const q = qt.toFloat32(), k = kt.toFloat32(), v = vt.toFloat32();
      const bnhd = { q: swapHeadsAndTokens(q, B, H, Nq, D), k: swapHeadsAndTokens(k, B, H, Nk, D), v: swapHeadsAndTokens(v, B, H, Nk, D) };
      const spec = { B, H, Nq, Nk, D, scale };
      const mha = attentionMhaModel(spec);
      return {
        peers: [attentionDecomposedModel(spec), mha],
        feeds: (peer) => (peer === mha ? bnhd : { q, k, v }),
        ours: (ops) => {
          const attention = ops.attention;
          return attention ? { run: () => attention(qt, kt, vt, { scale }) } : { unavailable: "attention is not exported yet" };
        },
        relError: (o, p, peer) => relError(o, peer === mha ? swapHeadsAndTokens(p, B, H, Nq, D, true) : p),
        outputShape: [B, H, Nq, D],
        dispose: () => [qt, kt, vt].forEach((t) => t.dispose()),
      };
    },
  };
}

export function conv3dCase(Cin: number, Cout: number, T: number, H: number, W: number): BenchCase {
  return {
    name: `conv3d-${Cin}-${T}x${H}x${W}`,
    shape: `${Cin}->${Cout} k3 T${T} H${H} W${W}`,
    flops: 2 * Cout * Cin * 27 * T * H * W,
    tolerance: F32_TOLERANCE,
    prepare() {
      const B = 1;
      const x = randomF32(B * Cin * T * H * W, 6), w = randomF32(Cout * Cin * 27, 7);
      // Weights scaled like a trained conv (fan-in 27*Cin) so outputs stay O(1).
      const s = 1 / Math.sqrt(27 * Cin);
      for (let i = 0; i < w.length; i++) w[i]! *= s;
      const xt = Tensor.from(x, [B, Cin, T, H, W]), wt = Tensor.from(w, [Cout, Cin, 3, 3, 3]);
      const frame = H * W;
      return {
        peers: [conv3dModel({ B, Cin, Cout, T, H, W, weight: w })],
        feeds: () => ({ x }),
        ours: (ops) => {
          const conv3d = ops.conv3d;
          // LTX-2's causal conv: time padded in front by repeating the first frame, H/W padded by 1: T stays T.
          return conv3d ? { run: () => conv3d(xt, wt, { causal: true, padding: [0, 1, 1] }) } : { unavailable: "conv3d is not exported yet" };
        },
        // Frames 0 and 1 differ by design (we repeat the first frame, the peer pads zeros); compare from frame 2.
        relError: (o, p) => relError(o, p, (i) => Math.floor(i / frame) % T >= 2),
        outputShape: [B, Cout, T, H, W],
        dispose: () => [xt, wt].forEach((t) => t.dispose()),
      };
    },
  };
}

export const CASES: BenchCase[] = [
  gemmCase(4096, 2048, 2048, "f32"),
  gemmCase(4096, 2048, 2048, "bf16"),
  attentionCase("attention-self-h8-d64", 1, 8, 4096, 4096, 64),
  attentionCase("attention-self-h16-d128", 1, 16, 4096, 4096, 128),
  attentionCase("attention-cross-h16-d128", 1, 16, 4096, 1024, 128),
  attentionCase("attention-self-h16-d128-bf16", 1, 16, 4096, 4096, 128, "bf16"),
  conv3dCase(128, 128, 7, 34, 34),
  conv3dCase(512, 512, 5, 18, 18),
];
