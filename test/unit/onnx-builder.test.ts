// The benchmark's in-memory ONNX models (bench/onnx) must compute what their case says, or the peer numbers
// mean nothing: each is run through onnxruntime on tiny shapes and compared with a naive float64 computation.
import t from "tap";
import { attentionDecomposedModel, attentionMhaModel, conv3dModel, gemmModel, type GemmForm, type PeerModel } from "../../bench/onnx/models.js";
import { createPeerSession } from "../../bench/onnx/session.js";
import { bhndToBnhd, naiveAttention, naiveConv3d, naiveLinear } from "../helpers/naiveOps.js";
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
