// AdaLN-single (PixArt-α): timestep -> sinusoid(256) -> MLP -> embedding `emb` [B,T,D] and modulation
// `linear(SiLU(emb))` [B,T,coef·D]. Upstream: adaln.py, timestep_embedding.py (Timesteps with
// flip_sin_to_cos=True, downscale_freq_shift=0; TimestepEmbedding linear_1 -> SiLU -> linear_2).
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { silu } from "../../../runtime/activation.js";
import { Tensor } from "../../../runtime/tensor.js";
import { applyLinear, disposeLinear, type LinearWeights, loadLinear } from "./weights.js";

const SINUSOID_CHANNELS = 256;

/** [cos(t·f_i), sin(t·f_i)] with f_i = exp(−ln(10⁴)·i/128), in f32 like torch (one row per timestep). */
export function timestepSinusoid(timesteps: ArrayLike<number>): Float32Array {
  const half = SINUSOID_CHANNELS / 2;
  const out = new Float32Array(timesteps.length * SINUSOID_CHANNELS);
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp(Math.fround(Math.fround(-Math.log(10000) * i) / half));
  for (let r = 0; r < timesteps.length; r++) {
    const t = Math.fround(timesteps[r]!);
    for (let i = 0; i < half; i++) {
      const a = Math.fround(t * freqs[i]!);
      out[r * SINUSOID_CHANNELS + i] = Math.cos(a);
      out[r * SINUSOID_CHANNELS + half + i] = Math.sin(a);
    }
  }
  return out;
}

export class AdaLayerNormSingle {
  readonly linear1: LinearWeights;
  readonly linear2: LinearWeights;
  readonly linear: LinearWeights;

  constructor(src: WeightSource, prefix: string, readonly dim: number, readonly coefficient: number) {
    this.linear1 = loadLinear(src, `${prefix}.emb.timestep_embedder.linear_1`, SINUSOID_CHANNELS, dim);
    this.linear2 = loadLinear(src, `${prefix}.emb.timestep_embedder.linear_2`, dim, dim);
    this.linear = loadLinear(src, `${prefix}.linear`, dim, coefficient * dim);
  }

  /**
   * `timesteps` are already scaled (σ·1000 per row); rows = B·T. Returns the modulation [rows, coef·D] and,
   * if asked, the embedding [rows, D] (the output head uses the raw embedding).
   */
  forward(timesteps: ArrayLike<number>, shape: readonly number[]): { modulation: Tensor; embedding: Tensor } {
    using proj = Tensor.from(timestepSinusoid(timesteps), [...shape, SINUSOID_CHANNELS]);
    using h = applyLinear(proj, this.linear1);
    using a = silu(h);
    const embedding = applyLinear(a, this.linear2);
    using s = silu(embedding);
    const modulation = applyLinear(s, this.linear);
    return { modulation, embedding };
  }

  dispose(): void {
    for (const l of [this.linear1, this.linear2, this.linear]) disposeLinear(l);
  }
}
