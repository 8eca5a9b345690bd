// upstream video_vae/resnet.py: ResnetBlock3D (PixelNorm → [AdaLN] → SiLU → CausalConv3d → PixelNorm → [AdaLN] →
// SiLU → CausalConv3d, plus the input — through GroupNorm(1)+1×1×1 conv when the width changes) and
// UNetMidBlock3D (n of them, with one timestep embedder shared by the blocks when timestep-conditioned).
import { AiprodError } from "../../../native/errors.js";
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { silu } from "../../../runtime/activation.js";
import { conv3d, type PadMode } from "../../../runtime/conv.js";
import { groupNorm, pixelNorm } from "../../../runtime/norm.js";
import { addBroadcast, mulBroadcast } from "../../../runtime/shape.js";
import { Tensor } from "../../../runtime/tensor.js";
import { f32Param } from "../weights.js";
import { CausalConv3d } from "./convolution.js";
import { TimestepEmbedder } from "./timestepEmbedding.js";

/** x·(1 + scale) + shift with one (scale, shift) per batch item and channel; tables are [B·C] row-major. */
export function modulateChannels(x: Tensor, scale: Float32Array, shift: Float32Array): Tensor {
  const [b, c] = x.shape as [number, number];
  const bcast = [b, c, ...x.shape.slice(2).map(() => 1)];
  using s = Tensor.from(scale.map((v) => 1 + v), bcast);
  using sh = Tensor.from(shift, bcast);
  using y = mulBroadcast(x, s);
  return addBroadcast(y, sh);
}

/** Rows k of (table[K, C] + emb[B, K·C]) as [B·C] arrays (upstream's scale_shift_table + timestep.reshape(B,K,C)). */
export function adaRows(table: Float32Array, emb: Float32Array, batch: number, rows: number, channels: number): Float32Array[] {
  return Array.from({ length: rows }, (_, k) => {
    const out = new Float32Array(batch * channels);
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < channels; c++) out[b * channels + c] = table[k * channels + c]! + emb[b * rows * channels + k * channels + c]!;
    }
    return out;
  });
}

export class ResnetBlock3D implements Disposable {
  readonly conv1: CausalConv3d;
  readonly conv2: CausalConv3d;
  readonly shortcut?: { norm3Weight: Tensor; norm3Bias: Tensor; weight: Tensor; bias: Tensor };
  /** [4, C] (shift1, scale1, shift2, scale2) when timestep-conditioned. */
  readonly scaleShiftTable?: Float32Array;
  readonly #owned: Disposable[] = [];

  constructor(source: WeightSource, prefix: string, readonly inChannels: number, readonly outChannels: number,
    padMode: PadMode, timestepConditioning = false) {
    try {
      this.conv1 = this.#own(new CausalConv3d(source, `${prefix}conv1.`, inChannels, outChannels, padMode));
      this.conv2 = this.#own(new CausalConv3d(source, `${prefix}conv2.`, outChannels, outChannels, padMode));
      if (inChannels !== outChannels) {
        this.shortcut = {
          norm3Weight: this.#own(f32Param(source, `${prefix}norm3.weight`, [inChannels])),
          norm3Bias: this.#own(f32Param(source, `${prefix}norm3.bias`, [inChannels])),
          weight: this.#own(f32Param(source, `${prefix}conv_shortcut.weight`, [outChannels, inChannels, 1, 1, 1])),
          bias: this.#own(f32Param(source, `${prefix}conv_shortcut.bias`, [outChannels])),
        };
      }
      if (timestepConditioning) {
        using table = f32Param(source, `${prefix}scale_shift_table`, [4, inChannels]);
        this.scaleShiftTable = table.toFloat32();
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  #own<T extends Disposable>(t: T): T {
    this.#owned.push(t);
    return t;
  }

  /** x [B, Cin, F, H, W]; `timestepEmbedding` [B·4·Cin] from the enclosing UNetMidBlock3D when conditioned. */
  forward(x: Tensor, causal: boolean, timestepEmbedding?: Float32Array): Tensor {
    const batch = x.shape[0]!;
    let ada: Float32Array[] | undefined;
    if (this.scaleShiftTable) {
      if (!timestepEmbedding) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", "aiprod.ltx2.vae: a timestep-conditioned ResnetBlock3D needs the timestep embedding");
      ada = adaRows(this.scaleShiftTable, timestepEmbedding, batch, 4, this.inChannels);
    }
    let h: Tensor;
    {
      using n1 = pixelNorm(x);
      using m1 = ada ? modulateChannels(n1, ada[1]!, ada[0]!) : undefined;
      using a1 = silu(m1 ?? n1);
      using c1 = this.conv1.forward(a1, causal);
      using n2 = pixelNorm(c1);
      using m2 = ada ? modulateChannels(n2, ada[3]!, ada[2]!) : undefined;
      using a2 = silu(m2 ?? n2);
      h = this.conv2.forward(a2, causal);
    }
    using hidden = h;
    if (!this.shortcut) return hidden.add(x);
    const s = this.shortcut;
    using n3 = groupNorm(x, 1, { weight: s.norm3Weight, bias: s.norm3Bias, eps: 1e-6 });
    using sc = conv3d(n3, s.weight, { bias: s.bias });
    return sc.add(hidden);
  }

  dispose(): void {
    for (const t of this.#owned) t[Symbol.dispose]();
    this.#owned.length = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export class UNetMidBlock3D implements Disposable {
  readonly resBlocks: ResnetBlock3D[] = [];
  readonly timeEmbedder?: TimestepEmbedder;

  constructor(source: WeightSource, prefix: string, readonly channels: number, numLayers: number, padMode: PadMode,
    timestepConditioning = false) {
    try {
      if (timestepConditioning) this.timeEmbedder = new TimestepEmbedder(source, `${prefix}time_embedder.`, 4 * channels);
      for (let i = 0; i < numLayers; i++) {
        this.resBlocks.push(new ResnetBlock3D(source, `${prefix}res_blocks.${i}.`, channels, channels, padMode, timestepConditioning));
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** `scaledTimesteps`: [B] decode timesteps already multiplied by timestep_scale_multiplier. */
  forward(x: Tensor, causal: boolean, scaledTimesteps?: readonly number[]): Tensor {
    let emb: Float32Array | undefined;
    if (this.timeEmbedder) {
      if (!scaledTimesteps) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", "aiprod.ltx2.vae: a timestep-conditioned UNetMidBlock3D needs the timestep");
      using e = this.timeEmbedder.forward(scaledTimesteps);
      emb = e.toFloat32();
    }
    let h = x;
    for (const block of this.resBlocks) {
      const next = block.forward(h, causal, emb);
      if (h !== x) h.dispose();
      h = next;
    }
    return h; // numLayers ≥ 1 (the config parser rejects 0), so h is a new tensor
  }

  dispose(): void {
    this.timeEmbedder?.dispose();
    for (const b of this.resBlocks) b.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
