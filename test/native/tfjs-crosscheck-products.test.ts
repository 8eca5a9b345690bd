// matmul, linear, conv3d, conv2d and conv1d against an independent implementation: @tensorflow/tfjs on its CPU
// backend (pure JavaScript, f32). Bound: relative to the magnitude Σ|a·b| (computed by tfjs too),
// |ours - tfjs| <= 4·K·2^-24·Σ|a·b| + 1e-6 — both sides accumulate in f32, in different orders.
import * as tf from "@tensorflow/tfjs";
import t from "tap";
import { conv1d, conv2d, conv3d, linear, matmul, Tensor } from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";
import { randn, worstError } from "../helpers/reference.js";

await tf.setBackend("cpu");

/** Worst |got - want| as a fraction of the bound 4·K·2^-24·Σ|a·b| + 1e-6 (<= 1 passes). */
const worst = (got: Float32Array, want: ArrayLike<number>, mag: ArrayLike<number>, k: number): number =>
  worstError(got, want, mag, 4 * k * 2 ** -24, 1e-6).ratio;

forEachIsa(async (isa) => {
  await t.test(`matmul and linear vs tfjs on ${isa}`, async (t) => {
    for (const [m, k, n] of [[7, 33, 19], [64, 300, 70], [130, 513, 65]] as [number, number, number][]) {
      const av = randn(m * k, m + k), bv = randn(k * n, n + 1);
      const want = tf.tidy(() => tf.matMul(tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n])).dataSync() as Float32Array);
      const mag = tf.tidy(() => tf.matMul(tf.tensor2d(av, [m, k]).abs(), tf.tensor2d(bv, [k, n]).abs()).dataSync());
      using a = Tensor.from(av, [m, k]);
      using b = Tensor.from(bv, [k, n]);
      using c = matmul(a, b);
      t.ok(worst(c.toFloat32(), want, mag, k) <= 1, `matmul ${m}x${k}x${n}`);
      // linear takes the weight as [N, K]: the transpose of b
      using wT = Tensor.from(tf.tidy(() => tf.tensor2d(bv, [k, n]).transpose().dataSync() as Float32Array), [n, k]);
      using y = linear(a, wT);
      t.ok(worst(y.toFloat32(), want, mag, k) <= 1, `linear ${m}x${k}x${n}`);
    }
  });

  await t.test(`convolutions vs tfjs on ${isa}`, async (t) => {
    // tfjs is channels-last (NDHWC / NHWC / NWC) with filters [k..., Cin, Cout]; our layout is channels-first.
    const [b, cin, cout, T, H, W] = [1, 6, 10, 5, 9, 11];
    const xv = randn(b * cin * T * H * W, 41), wv = randn(cout * cin * 27, 42);
    using x = Tensor.from(xv, [b, cin, T, H, W]);
    using w = Tensor.from(wv, [cout, cin, 3, 3, 3]);
    using y = conv3d(x, w, { padding: 1 });
    const [want, mag] = tf.tidy(() => {
      const xt = tf.tensor5d(xv, [b, cin, T, H, W]).transpose([0, 2, 3, 4, 1]);
      const wt = tf.tensor5d(wv, [cout, cin, 3, 3, 3]).transpose([2, 3, 4, 1, 0]);
      const run = (xx: tf.Tensor5D, ww: tf.Tensor5D) => tf.conv3d(xx, ww, 1, "same").transpose([0, 4, 1, 2, 3]).dataSync() as Float32Array;
      return [run(xt as tf.Tensor5D, wt as tf.Tensor5D), run(xt.abs() as tf.Tensor5D, wt.abs() as tf.Tensor5D)];
    });
    t.ok(worst(y.toFloat32(), want!, mag!, cin * 27) <= 1, "conv3d 6->10 k3 pad 1");

    const x2v = randn(2 * cin * H * W, 43), w2v = randn(cout * cin * 9, 44);
    using x2 = Tensor.from(x2v, [2, cin, H, W]);
    using w2 = Tensor.from(w2v, [cout, cin, 3, 3]);
    using y2 = conv2d(x2, w2, { stride: 2 });
    const [want2, mag2] = tf.tidy(() => {
      const xt = tf.tensor4d(x2v, [2, cin, H, W]).transpose([0, 2, 3, 1]);
      const wt = tf.tensor4d(w2v, [cout, cin, 3, 3]).transpose([2, 3, 1, 0]);
      const run = (xx: tf.Tensor4D, ww: tf.Tensor4D) => tf.conv2d(xx, ww, 2, "valid").transpose([0, 3, 1, 2]).dataSync() as Float32Array;
      return [run(xt as tf.Tensor4D, wt as tf.Tensor4D), run(xt.abs() as tf.Tensor4D, wt.abs() as tf.Tensor4D)];
    });
    t.ok(worst(y2.toFloat32(), want2!, mag2!, cin * 9) <= 1, "conv2d stride 2 valid");

    const x1v = randn(cin * 50, 45), w1v = randn(cout * cin * 7, 46);
    using x1 = Tensor.from(x1v, [1, cin, 50]);
    using w1 = Tensor.from(w1v, [cout, cin, 7]);
    using y1 = conv1d(x1, w1, { padding: 3 });
    const [want1, mag1] = tf.tidy(() => {
      const xt = tf.tensor3d(x1v, [1, cin, 50]).transpose([0, 2, 1]);
      const wt = tf.tensor3d(w1v, [cout, cin, 7]).transpose([2, 1, 0]);
      const run = (xx: tf.Tensor3D, ww: tf.Tensor3D) => tf.conv1d(xx, ww, 1, "same").transpose([0, 2, 1]).dataSync() as Float32Array;
      return [run(xt as tf.Tensor3D, wt as tf.Tensor3D), run(xt.abs() as tf.Tensor3D, wt.abs() as tf.Tensor3D)];
    });
    t.ok(worst(y1.toFloat32(), want1!, mag1!, cin * 7) <= 1, "conv1d k7 same");
  });
}).catch((e: unknown) => t.fail(String(e)));
