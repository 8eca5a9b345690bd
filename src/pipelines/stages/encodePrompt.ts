// Stage: prompt(s) → text contexts for the video and audio streams. Gemma runs, then the checkpoint's feature
// extractor and the two connectors; all of them are released before the stage returns. The optional stage before
// it (upstream --enhance-prompt) rewrites the positive prompt with the same Gemma, which it then hands over.
import { SafetensorsFile } from "../../checkpoint/safetensors.js";
import { DEFAULT_ENHANCE_SAMPLING } from "../../models/gemma3/enhance.js";
import type { Sampling } from "../../models/gemma3/sampling.js";
import { GemmaTextEncoder } from "../../models/gemma3/textEncoder.js";
import { loadLtx2TextSide } from "../../models/ltx2/loadTransformer.js";
import type { Tensor } from "../../runtime/tensor.js";
import type { RunContext } from "../context.js";
import type { ResolvedParams } from "../types.js";

/** A loaded Gemma passed from one stage to the next: whoever uses it takes it out (and releases it). */
export interface GemmaHolder {
  encoder?: GemmaTextEncoder;
}

/**
 * Upstream's prompt enhancement: Gemma rewrites the positive prompt (enhance_t2v, or enhance_i2v with the image
 * conditioning frame 0 when there is one), sampling seeded by the run's seed. Progress is reported per generated
 * token, and cancellation is checked between tokens. The loaded Gemma is left in `holder` for encodePrompts.
 */
export async function enhancePositivePrompt(ctx: RunContext, textEncoderDir: string, p: ResolvedParams, holder: GemmaHolder): Promise<string> {
  const gemma = (holder.encoder ??= GemmaTextEncoder.load(textEncoderDir, { cacheSize: 0 }));
  const first = p.images.find((img) => img.frame === 0);
  ctx.check();
  return gemma.enhancePrompt(p.prompt, {
    ...(first ? { image: first.source } : {}),
    sampling: { ...(DEFAULT_ENHANCE_SAMPLING as Extract<Sampling, { kind: "sample" }>), seed: p.seed },
    maxNewTokens: p.enhanceMaxNewTokens,
    onToken: (n, max) => {
      ctx.check();
      ctx.progress(n, max);
    },
  });
}

export interface TextContext {
  video: Tensor;
  audio: Tensor;
}

export function disposeContext(c: TextContext | undefined): void {
  c?.video.dispose();
  c?.audio.dispose();
}

/** One TextContext per prompt, in order. A Gemma in `holder` is taken (and released) instead of loading one. */
export function encodePrompts(ctx: RunContext, checkpoint: string, textEncoderDir: string, prompts: readonly string[], holder: GemmaHolder = {}): TextContext[] {
  const out: TextContext[] = [];
  const hidden: { states: Tensor[]; mask: Uint8Array }[] = [];
  try {
    {
      using gemma = holder.encoder ?? GemmaTextEncoder.load(textEncoderDir, { cacheSize: 0 });
      holder.encoder = undefined;
      prompts.forEach((prompt, i) => {
        ctx.check();
        const enc = gemma.encodePrompt(prompt);
        using m = enc.attentionMask;
        hidden.push({ states: enc.hiddenStates, mask: Uint8Array.from(m.toFloat32(), (v) => (v > 0 ? 1 : 0)) });
        ctx.progress(i + 1, prompts.length * 2);
      });
    }
    using file = SafetensorsFile.open(checkpoint);
    const side = loadLtx2TextSide(file, hidden[0]!.states.length);
    try {
      hidden.forEach((h, i) => {
        ctx.check();
        // V1 (19B) shares one feature tensor between the streams; V2 (2.3) projects each stream on its own.
        const features = side.featureExtractor.forward(h.states, h.mask);
        using videoFeatures = features.video;
        using audioFeatures = features.audio;
        const video = side.videoConnector.forward(videoFeatures, h.mask);
        try {
          out.push({ video, audio: side.audioConnector.forward(audioFeatures, h.mask) });
        } catch (e) {
          video.dispose();
          throw e;
        }
        for (const t of h.states) t.dispose();
        h.states = [];
        ctx.progress(prompts.length + i + 1, prompts.length * 2);
      });
    } finally {
      side.featureExtractor.dispose();
      for (const c of [side.videoConnector, side.audioConnector] as unknown as { dispose?: () => void }[]) c.dispose?.();
    }
    return out;
  } catch (e) {
    for (const c of out) disposeContext(c);
    throw e;
  } finally {
    for (const h of hidden) for (const t of h.states) t.dispose();
  }
}
