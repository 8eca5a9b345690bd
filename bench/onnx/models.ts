// The peer's side of each benchmark case, as ONNX models built in memory. Each builder returns the encoded
// model and says, in `peer`, which formulation it is, since the bench measures every formulation of a case and
// reports the fastest (the peer should be at its best).
import { ElemType, encodeModel, f32Bytes, MS_DOMAIN, type NodeSpec, type TensorSpec, u16Bytes } from "./onnxProto.js";

export interface PeerModel {
  /** Short name of the formulation, e.g. "Gemm(transB=1)". */
  peer: string;
  model: Uint8Array;
  /** Input names with the dims the bench must feed (all f32). */
  inputs: { name: string; dims: number[] }[];
  output: { name: string; dims: number[] };
}

export type GemmForm = "gemm-transB" | "matmul-pretransposed";

export interface GemmSpec {
  M: number;
  K: number;
  N: number;
  /** [N, K] like our linear(): f32 values, or bf16 bits (a Uint16Array). */
  weight: Float32Array | Uint16Array;
  form: GemmForm;
}

function transpose<T extends Float32Array | Uint16Array>(w: T, rows: number, cols: number): T {
  const out = new (w.constructor as { new (n: number): T })(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

/**
 * y[M,N] = x[M,K] @ W^T. "gemm-transB" keeps W as [N,K] and uses Gemm transB=1; "matmul-pretransposed"
 * stores W^T [K,N] and uses MatMul. Both let onnxruntime prepack the constant weight. A bf16 weight is stored
 * as a BFLOAT16 initializer followed by Cast to float: onnxruntime's CPU provider has no bf16 GEMM on x86, and
 * constant folding turns the Cast into an f32 initializer at load, so the peer then runs its f32 GEMM.
 */
export function gemmModel(s: GemmSpec): PeerModel {
  const bf16 = s.weight instanceof Uint16Array;
  const pre = s.form === "matmul-pretransposed";
  const data = pre ? transpose(s.weight, s.N, s.K) : s.weight;
  const dims = pre ? [s.K, s.N] : [s.N, s.K];
  const init: TensorSpec = bf16
    ? { name: "w_bf16", elemType: ElemType.BFLOAT16, dims, raw: u16Bytes(data as Uint16Array) }
    : { name: "w", elemType: ElemType.FLOAT, dims, raw: f32Bytes(data as Float32Array) };
  const nodes: NodeSpec[] = [];
  if (bf16) nodes.push({ opType: "Cast", inputs: ["w_bf16"], outputs: ["w"], attributes: { to: { int: ElemType.FLOAT } } });
  nodes.push(pre
    ? { opType: "MatMul", inputs: ["x", "w"], outputs: ["y"] }
    : { opType: "Gemm", inputs: ["x", "w"], outputs: ["y"], attributes: { transB: { int: 1 } } });
  const model = encodeModel({
    graph: {
      name: "gemm",
      nodes,
      initializers: [init],
      inputs: [{ name: "x", elemType: ElemType.FLOAT, dims: [s.M, s.K] }],
      outputs: [{ name: "y", elemType: ElemType.FLOAT, dims: [s.M, s.N] }],
    },
  });
  const peer = `${pre ? "MatMul(W^T initializer)" : "Gemm(transB=1)"}${bf16 ? " after Cast(bf16->f32)" : ""}`;
  return { peer, model, inputs: [{ name: "x", dims: [s.M, s.K] }], output: { name: "y", dims: [s.M, s.N] } };
}

export interface AttentionSpec {
  B: number;
  H: number;
  Nq: number;
  Nk: number;
  D: number;
  scale: number;
}

/**
 * softmax(Q K^T * scale) V on [B,H,N,D] inputs, written as ONNX primitives: Transpose(K), MatMul, Mul(scale),
 * Softmax(axis=-1), MatMul. onnxruntime's optimizer fuses the transpose and scale into FusedMatMul; the
 * Nq x Nk score matrix is materialized.
 */
export function attentionDecomposedModel(s: AttentionSpec): PeerModel {
  const q = [s.B, s.H, s.Nq, s.D], kv = [s.B, s.H, s.Nk, s.D];
  const model = encodeModel({
    graph: {
      name: "attention",
      nodes: [
        { opType: "Transpose", inputs: ["k"], outputs: ["kt"], attributes: { perm: { ints: [0, 1, 3, 2] } } },
        { opType: "MatMul", inputs: ["q", "kt"], outputs: ["s"] },
        { opType: "Mul", inputs: ["s", "scale"], outputs: ["ss"] },
        { opType: "Softmax", inputs: ["ss"], outputs: ["p"], attributes: { axis: { int: -1 } } },
        { opType: "MatMul", inputs: ["p", "v"], outputs: ["o"] },
      ],
      initializers: [{ name: "scale", elemType: ElemType.FLOAT, dims: [], raw: f32Bytes(Float32Array.of(s.scale)) }],
      inputs: [
        { name: "q", elemType: ElemType.FLOAT, dims: q },
        { name: "k", elemType: ElemType.FLOAT, dims: kv },
        { name: "v", elemType: ElemType.FLOAT, dims: kv },
      ],
      outputs: [{ name: "o", elemType: ElemType.FLOAT, dims: q }],
    },
  });
  return {
    peer: "MatMul-Softmax-MatMul",
    model,
    inputs: [{ name: "q", dims: q }, { name: "k", dims: kv }, { name: "v", dims: kv }],
    output: { name: "o", dims: q },
  };
}

/**
 * The same attention through com.microsoft MultiHeadAttention, onnxruntime's fused CPU kernel. It takes
 * [B, N, H*D] inputs (its native layout; giving it that layout is the peer's best case, and the FLOPs are the
 * same), and returns [B, Nq, H*D].
 */
export function attentionMhaModel(s: AttentionSpec): PeerModel {
  const q = [s.B, s.Nq, s.H * s.D], kv = [s.B, s.Nk, s.H * s.D];
  const model = encodeModel({
    graph: {
      name: "mha",
      nodes: [{
        opType: "MultiHeadAttention",
        domain: MS_DOMAIN,
        inputs: ["q", "k", "v"],
        outputs: ["o"],
        attributes: { num_heads: { int: s.H }, scale: { float: s.scale } },
      }],
      inputs: [
        { name: "q", elemType: ElemType.FLOAT, dims: q },
        { name: "k", elemType: ElemType.FLOAT, dims: kv },
        { name: "v", elemType: ElemType.FLOAT, dims: kv },
      ],
      outputs: [{ name: "o", elemType: ElemType.FLOAT, dims: q }],
    },
    extraOpsets: [{ domain: MS_DOMAIN, version: 1 }],
  });
  return {
    peer: "com.microsoft.MultiHeadAttention",
    model,
    inputs: [{ name: "q", dims: q }, { name: "k", dims: kv }, { name: "v", dims: kv }],
    output: { name: "o", dims: q },
  };
}

export interface Conv3dSpec {
  B: number;
  Cin: number;
  Cout: number;
  T: number;
  H: number;
  W: number;
  /** [Cout, Cin, 3, 3, 3] */
  weight: Float32Array;
}

/**
 * Conv 3D, NCDHW, kernel 3, stride 1. Pads: 1 on H and W each side; on time 2 in front and 0 behind, so the
 * output keeps T frames like LTX-2's causal conv. LTX-2 fills those two frames with copies of the first frame;
 * here they are zeros: same output shape and the same FLOPs, which is what a throughput comparison needs.
 */
export function conv3dModel(s: Conv3dSpec): PeerModel {
  const x = [s.B, s.Cin, s.T, s.H, s.W], y = [s.B, s.Cout, s.T, s.H, s.W];
  const model = encodeModel({
    graph: {
      name: "conv3d",
      nodes: [{
        opType: "Conv",
        inputs: ["x", "w"],
        outputs: ["y"],
        attributes: { kernel_shape: { ints: [3, 3, 3] }, pads: { ints: [2, 1, 1, 0, 1, 1] }, strides: { ints: [1, 1, 1] } },
      }],
      initializers: [{ name: "w", elemType: ElemType.FLOAT, dims: [s.Cout, s.Cin, 3, 3, 3], raw: f32Bytes(s.weight) }],
      inputs: [{ name: "x", elemType: ElemType.FLOAT, dims: x }],
      outputs: [{ name: "y", elemType: ElemType.FLOAT, dims: y }],
    },
  });
  return { peer: "Conv(pads t:2/0 h,w:1/1)", model, inputs: [{ name: "x", dims: x }], output: { name: "y", dims: y } };
}
