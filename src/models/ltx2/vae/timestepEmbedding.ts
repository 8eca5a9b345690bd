// upstream transformer/timestep_embedding.py PixArtAlphaCombinedTimestepSizeEmbeddings (size_emb_dim 0), as the
// timestep-conditioned VAE decoder uses it: a 256-wide sinusoid (cos half first: flip_sin_to_cos, frequency
// shift 0, max period 10⁴) → linear_1 → SiLU → linear_2. Keys `<prefix>timestep_embedder.linear_{1,2}.{weight,bias}`.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { silu } from "../../../runtime/activation.js";
import { linear } from "../../../runtime/linear.js";
import { Tensor } from "../../../runtime/tensor.js";
import { f32Param } from "../weights.js";

const PROJ = 256;

/** The sinusoid of upstream get_timestep_embedding(t, 256, flip_sin_to_cos=True, downscale_freq_shift=0), f32. */
export function timestepProjection(timesteps: readonly number[]): Float32Array {
  const half = PROJ / 2;
  const out = new Float32Array(timesteps.length * PROJ);
  timesteps.forEach((t, b) => {
    for (let i = 0; i < half; i++) {
      // f32 like torch: exp of an f32 exponent, times an f32 timestep.
      const freq = Math.fround(Math.exp(Math.fround((-Math.log(10000) * i) / half)));
      const arg = Math.fround(Math.fround(t) * freq);
      out[b * PROJ + i] = Math.cos(arg);
      out[b * PROJ + half + i] = Math.sin(arg);
    }
  });
  return out;
}

export class TimestepEmbedder implements Disposable {
  readonly #params: Tensor[];

  constructor(source: WeightSource, prefix: string, readonly dim: number) {
    const p = `${prefix}timestep_embedder.`;
    const shapes: [string, number[]][] = [
      ["linear_1.weight", [dim, PROJ]], ["linear_1.bias", [dim]], ["linear_2.weight", [dim, dim]], ["linear_2.bias", [dim]],
    ];
    this.#params = [];
    try {
      for (const [k, s] of shapes) this.#params.push(f32Param(source, p + k, s));
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** [B] timesteps (already scaled by timestep_scale_multiplier) → [B, dim]. */
  forward(timesteps: readonly number[]): Tensor {
    const [w1, b1, w2, b2] = this.#params as [Tensor, Tensor, Tensor, Tensor];
    using proj = Tensor.from(timestepProjection(timesteps), [timesteps.length, PROJ]);
    using h = linear(proj, w1, { bias: b1 });
    using a = silu(h);
    return linear(a, w2, { bias: b2 });
  }

  dispose(): void {
    for (const t of this.#params) t.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
