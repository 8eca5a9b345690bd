// Naive float64 references for the benchmark's ops (GEMM, attention, conv3d), for tiny test shapes only.

export function naiveLinear(x: ArrayLike<number>, w: ArrayLike<number>, M: number, K: number, N: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += x[m * K + k]! * w[n * K + k]!;
    y[m * N + n] = s;
  }
  return y;
}

/** out[b,h,i,:] = softmax_j(scale * q[b,h,i,:].k[b,h,j,:]) v[b,h,j,:], on [B,H,N,D] arrays. */
export function naiveAttention(q: Float32Array, k: Float32Array, v: Float32Array, B: number, H: number, Nq: number, Nk: number, D: number, scale: number): Float64Array {
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
export function bhndToBnhd(a: ArrayLike<number>, B: number, H: number, N: number, D: number): Float32Array {
  const out = new Float32Array(B * H * N * D);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) {
    out[((b * N + n) * H + h) * D + d] = a[((b * H + h) * N + n) * D + d]!;
  }
  return out;
}

/** Causal conv3d, kernel 3: zero padding of 2 frames in front on T, 1 on each side of H and W. */
export function naiveConv3d(x: Float32Array, w: Float32Array, B: number, Cin: number, Cout: number, T: number, H: number, W: number): Float64Array {
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
