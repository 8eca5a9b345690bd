// softmax and layerNorm against an independent implementation: TensorFlow.js on its pure-JS CPU backend
// (@tensorflow/tfjs, never tfjs-node). tfjs computes in f32 too, so the bound is the two f32 errors added:
// 2e-5 relative + 1e-6 absolute for softmax, 2e-5 relative + 2e-5 absolute for layerNorm.
import * as tf from "@tensorflow/tfjs";
import t from "tap";
import { layerNorm, softmax } from "../../src/index.js";
import { forEachIsa } from "../helpers/isaPaths.js";
import { close, input, LAST_DIMS } from "../helpers/pointwise.js";

await tf.setBackend("cpu");
await tf.ready();

forEachIsa(async (isa) => {
  await t.test(`softmax and layerNorm agree with tfjs (cpu backend) on ${isa}`, async (t) => {
    t.equal(tf.getBackend(), "cpu");
    for (const d of LAST_DIMS) {
      for (const shape of [[d], [4, d], [2, 3, d]]) {
        const { t: x, v } = input(shape, "f32", d * 13 + shape.length, -20, 20);
        using _x = x;
        const xs = tf.tensor(Float32Array.from(v), shape, "float32");
        const want = tf.tidy(() => {
          const sm = tf.softmax(xs);
          const { mean, variance } = tf.moments(xs, -1, true);
          const ln = tf.div(tf.sub(xs, mean), tf.sqrt(tf.add(variance, 1e-6)));
          return [sm.dataSync() as Float32Array, ln.dataSync() as Float32Array] as const;
        });
        xs.dispose();
        using s = softmax(x);
        using l = layerNorm(x);
        close(t, s.toFloat32(), want[0], (i) => 2e-5 * Math.abs(want[0][i]!) + 1e-6, `softmax f32[${shape}]`);
        close(t, l.toFloat32(), want[1], (i) => 2e-5 * Math.abs(want[1][i]!) + 2e-5, `layerNorm f32[${shape}]`);
      }
    }
  });
}).catch((e: unknown) => t.fail(String(e)));
