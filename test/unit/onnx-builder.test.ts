// The benchmark's in-memory ONNX models (bench/onnx) must compute what their case says, or the peer numbers
// mean nothing: each is run through onnxruntime on tiny shapes and compared with a naive float64 computation.
import t from "tap";
import { attentionDecomposedModel, attentionMhaModel, conv3dModel, gemmModel, type GemmForm, type PeerModel } from "../../bench/onnx/models.js";
import { createPeerSession } from "../../bench/onnx/session.js";
import { BF16, decode, encode, rng } from "../helpers/numberFormats.js";

function random(n: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}

async function runPeer(m: PeerModel, feeds: Record<string, Float32Array>): Promise<Float32Array> {
  const s = await createPeerSession(m.model, m.inputs, m.output.name, 2);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

function maxAbsDiff(got: Float32Array, want: Float64Array): number {
  if (got.length !== want.length) return Infinity;
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
  return d;
}

function naiveLinear(x: ArrayLike<number>, w: ArrayLike<number>, M: number, K: number, N: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += x[m * K + k]! * w[n * K + k]!;
    y[m * N + n] = s;
  }
  return y;
}

/** out[b,h,i,:] = softmax_j(scale * q[b,h,i,:].k[b,h,j,:]) v[b,h,j,:], on [B,H,N,D] arrays. */
function naiveAttention(q: Float32Array, k: Float32Array, v: Float32Array, B: number, H: number, Nq: number, Nk: number, D: number, scale: number): Float64Array {
  const out = new Float64Array(B * H * Nq * D);
  for (let bh = 0; bh < B * H; bh++) for (let i = 0; i < Nq; i++) {
    const s = new Float64Array(Nk);
    for (let j = 0; j < Nk; j++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += q[(bh * Nq + i) * D + d]! * k[(bh * Nk + j) * D + d]!;
      s[j] = dot * scale;
    }
    const max = Math.max(...s);
    let sum = 0;
    for (let j = 0; j < Nk; j++) sum += (s[j] = Math.exp(s[j]! - max));
    for (let d = 0; d < D; d++) {
      let acc = 0;
      for (let j = 0; j < Nk; j++) acc += s[j]! * v[(bh * Nk + j) * D + d]!;
      out[(bh * Nq + i) * D + d] = acc / sum;
    }
  }
  return out;
}

/** [B,H,N,D] <-> [B,N,H*D] (MultiHeadAttention's layout). */
function bhndToBnhd(a: ArrayLike<number>, B: number, H: number, N: number, D: number): Float32Array {
  const out = new Float32Array(B * H * N * D);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) {
    out[((b * N + n) * H + h) * D + d] = a[((b * H + h) * N + n) * D + d]!;
  }
  return out;
}

/** Causal conv3d, kernel 3: zero padding of 2 frames in front on T, 1 on each side of H and W. */
function naiveConv3d(x: Float32Array, w: Float32Array, B: number, Cin: number, Cout: number, T: number, H: number, W: number): Float64Array {
  const y = new Float64Array(B * Cout * T * H * W);
  const at = (b: number, c: number, t: number, h: number, ww: number) =>
    t < 0 || h < 0 || h >= H || ww < 0 || ww >= W ? 0 : x[(((b * Cin + c) * T + t) * H + h) * W + ww]!;
  for (let b = 0; b < B; b++) for (let o = 0; o < Cout; o++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let ww = 0; ww < W; ww++) {
    let s = 0;
    for (let c = 0; c < Cin; c++) for (let kt = 0; kt < 3; kt++) for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) {
      s += w[(((o * Cin + c) * 3 + kt) * 3 + kh) * 3 + kw]! * at(b, c, t + kt - 2, h + kh - 1, ww + kw - 1);
    }
    y[(((b * Cout + o) * T + t) * H + h) * W + ww] = s;
  }
  return y;
}

const FORMS: GemmForm[] = ["gemm-transB", "matmul-pretransposed"];

t.test("GEMM models: y = x @ W^T with W [N,K]", async (t) => {
  const M = 5, K = 7, N = 3;
  const x = random(M * K, 1), w = random(N * K, 2);
  for (const form of FORMS) {
    const m = gemmModel({ M, K, N, weight: w, form });
    t.same(m.output.dims, [M, N], `${form}: output dims`);
    t.ok(maxAbsDiff(await runPeer(m, { x }), naiveLinear(x, w, M, K, N)) < 1e-5, `${m.peer} matches`);
  }
});

t.test("GEMM models with a bf16 weight compute with the bf16 values", async (t) => {
  const M = 4, K = 9, N = 6;
  const x = random(M * K, 3), w = random(N * K, 4);
  const bits = Uint16Array.from(w, (v) => encode(BF16, v));
  const rounded = Float64Array.from(bits, (b) => decode(BF16, b));
  for (const form of FORMS) {
    const m = gemmModel({ M, K, N, weight: bits, form });
    t.match(m.peer, /Cast\(bf16->f32\)/);
    t.ok(maxAbsDiff(await runPeer(m, { x }), naiveLinear(x, rounded, M, K, N)) < 1e-5, `${m.peer} matches`);
  }
});

t.test("attention models, self and cross", async (t) => {
  for (const [Nq, Nk] of [[6, 6], [5, 3]] as const) {
    const B = 2, H = 3, D = 4, scale = 1 / Math.sqrt(D);
    const q = random(B * H * Nq * D, 5), k = random(B * H * Nk * D, 6), v = random(B * H * Nk * D, 7);
    const want = naiveAttention(q, k, v, B, H, Nq, Nk, D, scale);
    const dec = attentionDecomposedModel({ B, H, Nq, Nk, D, scale });
    t.ok(maxAbsDiff(await runPeer(dec, { q, k, v }), want) < 1e-5, `${dec.peer} Nq=${Nq} Nk=${Nk}`);
    const mha = attentionMhaModel({ B, H, Nq, Nk, D, scale });
    const got = await runPeer(mha, { q: bhndToBnhd(q, B, H, Nq, D), k: bhndToBnhd(k, B, H, Nk, D), v: bhndToBnhd(v, B, H, Nk, D) });
    t.ok(maxAbsDiff(got, Float64Array.from(bhndToBnhd(want, B, H, Nq, D))) < 1e-5, `${mha.peer} Nq=${Nq} Nk=${Nk}`);
  }
});

t.test("conv3d model: causal in time (2 frames in front), same-size in H and W", async (t) => {
  const B = 1, Cin = 3, Cout = 2, T = 4, H = 5, W = 6;
  const x = random(B * Cin * T * H * W, 8), w = random(Cout * Cin * 27, 9);
  const m = conv3dModel({ B, Cin, Cout, T, H, W, weight: w });
  t.same(m.output.dims, [B, Cout, T, H, W]);
  t.ok(maxAbsDiff(await runPeer(m, { x }), naiveConv3d(x, w, B, Cin, Cout, T, H, W)) < 1e-5, m.peer);
});
