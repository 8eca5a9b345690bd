// Stage: one diffusion stage (upstream utils/samplers.py euler_denoising_loop with utils/denoisers.py): initial
// noising of both latent states, then per step the transformer passes the guidance needs (cond; uncond with the
// negative context; STG-perturbed; A↔V-isolated), guidance in x̂₀ space per modality, the denoise-mask
// post-processing and an Euler (or Euler-ancestral) step. Latents stay f32 token arrays between steps.
import { eulerAncestralStep, eulerStep } from "../../models/ltx2/components/diffusionSteps.js";
import { MultiModalGuider } from "../../models/ltx2/components/guiders.js";
import { postProcessLatent, timestepsFromMask } from "../../models/ltx2/components/denoiseMask.js";
import { drawNoise, type GaussianGenerator, gaussianNoiser } from "../../models/ltx2/components/noisers.js";
import { attentionBias } from "../../models/ltx2/conditioning/referenceLatent.js";
import type { LatentState } from "../../models/ltx2/conditioning/latentState.js";
import { type ForwardOptions, type LTXModel, type ModalityInput, velocityToX0 } from "../../models/ltx2/transformer/model.js";
import type { GuiderParams } from "../../models/ltx2/components/guiders.js";
import { Tensor } from "../../runtime/tensor.js";
import type { RunContext } from "../context.js";
import type { TextContext } from "./encodePrompt.js";

export interface DenoiseOptions {
  sigmas: Float32Array;
  /** s of the initial noising: 1 in stage 1, σ₀ of the schedule when refining a given latent. */
  noiseScale: number;
  positive: TextContext;
  /** Needed when a guider's cfg ≠ 1. */
  negative?: TextContext;
  /** Absent: no guidance (SimpleDenoiser, one pass per step). */
  guidance?: { video: GuiderParams; audio: GuiderParams };
  /** Euler-ancestral (η = 1) with noise from this generator (2.5 distilled stage 1); plain Euler when absent. */
  ancestral?: GaussianGenerator;
}

interface Pass {
  kind: "cond" | "uncond" | "ptb" | "mod";
  context: TextContext;
  opts: ForwardOptions;
}

function input(state: LatentState, x: Float32Array, sigma: number, context: Tensor, mask?: Tensor): ModalityInput {
  const tokens = state.mask.length;
  return {
    latent: Tensor.from(x, [1, tokens, state.channels]),
    timesteps: timestepsFromMask(sigma, state.mask),
    sigma: Float32Array.of(sigma),
    positions: state.positions,
    context,
    ...(mask ? { selfAttentionMask: mask } : {}),
  };
}

/** Runs the loop; returns the final latents of both states (all tokens, appended ones included). */
export function denoise(ctx: RunContext, model: LTXModel, video: LatentState, audio: LatentState, o: DenoiseOptions): { video: Float32Array; audio: Float32Array } {
  const steps = o.sigmas.length - 1;
  // Noise is drawn video first, then audio, from the one run-wide generator.
  let xv = gaussianNoiser(video.latent, video.clean, video.mask, o.noiseScale, drawNoise(ctx.noise, [1, video.mask.length, video.channels]), video.channels);
  let xa = gaussianNoiser(audio.latent, audio.clean, audio.mask, o.noiseScale, drawNoise(ctx.noise, [1, audio.mask.length, audio.channels]), audio.channels);
  const vg = o.guidance ? new MultiModalGuider(o.guidance.video) : undefined;
  const ag = o.guidance ? new MultiModalGuider(o.guidance.audio) : undefined;
  const passes: Pass[] = [{ kind: "cond", context: o.positive, opts: {} }];
  if (vg && ag) {
    if (vg.needsUncond() || ag.needsUncond()) {
      if (!o.negative) throw new Error("denoise: guidance with cfg ≠ 1 needs a negative context");
      passes.push({ kind: "uncond", context: o.negative, opts: {} });
    }
    if (vg.needsPerturbed() || ag.needsPerturbed()) passes.push({ kind: "ptb", context: o.positive, opts: { stgBlocks: vg.params.stgBlocks.length ? vg.params.stgBlocks : ag.params.stgBlocks } });
    if (vg.needsModality() || ag.needsModality()) passes.push({ kind: "mod", context: o.positive, opts: { skipAudioVideoCrossAttention: true } });
  }
  const mask = video.attention ? Tensor.from(attentionBias(video.attention), [1, 1, video.mask.length, video.mask.length]) : undefined;
  const onBlock = () => ctx.check();
  let last: { v: Float32Array; a: Float32Array } | undefined;
  try {
    for (let i = 0; i < steps; i++) {
      ctx.check();
      const sigma = o.sigmas[i]!;
      let x0v: Float32Array, x0a: Float32Array;
      if (last && vg?.shouldSkip(i)) {
        ({ v: x0v, a: x0a } = last);
      } else {
        const outs: Record<string, { v: Float32Array; a: Float32Array }> = {};
        for (const pass of passes) {
          const vi = input(video, xv, sigma, pass.context.video, mask);
          const ai = input(audio, xa, sigma, pass.context.audio);
          try {
            const vel = model.forward(vi, ai, { ...pass.opts, onBlock });
            try {
              outs[pass.kind] = { v: velocityToX0(vi.latent, vel.video, vi.timesteps), a: velocityToX0(ai.latent, vel.audio, ai.timesteps) };
            } finally {
              vel.video.dispose();
              vel.audio.dispose();
            }
          } finally {
            vi.latent.dispose();
            ai.latent.dispose();
          }
        }
        const c = outs.cond!;
        if (vg && ag) {
          x0v = vg.calculate(c.v, outs.uncond?.v, outs.ptb?.v, outs.mod?.v);
          x0a = ag.calculate(c.a, outs.uncond?.a, outs.ptb?.a, outs.mod?.a);
        } else {
          x0v = c.v;
          x0a = c.a;
        }
        last = { v: x0v, a: x0a };
      }
      x0v = postProcessLatent(x0v, video.mask, video.clean, video.channels);
      x0a = postProcessLatent(x0a, audio.mask, audio.clean, audio.channels);
      if (o.ancestral) {
        xv = eulerAncestralStep(xv, x0v, o.sigmas, i, { noise: (n) => o.ancestral!.randnBf16(n) });
        xa = eulerAncestralStep(xa, x0a, o.sigmas, i, { noise: (n) => o.ancestral!.randnBf16(n) });
      } else {
        xv = eulerStep(xv, x0v, o.sigmas, i);
        xa = eulerStep(xa, x0a, o.sigmas, i);
      }
      ctx.progress(i + 1, steps);
    }
    return { video: xv, audio: xa };
  } finally {
    mask?.dispose();
  }
}
