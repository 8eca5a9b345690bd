// The five LTX-2 pipelines as compositions of the stages (upstream ltx_pipelines/*.py):
//   ti2vid_one_stage        full size, guided (CFG/STG/modality), LTX2Scheduler(steps)
//   ti2vid_two_stages       guided stage 1 at half size → ×2 upsample → distilled-LoRA refinement (3 steps);
//                           the stage-1 audio is kept for output
//   distilled               8 distilled steps at half size → ×2 upsample → 3 steps, no guidance, refined audio
//   ic_lora                 distilled + IC-LoRA(s) and appended reference-video tokens in stage 1; stage 2 is
//                           the base model with image conditionings only
//   keyframe_interpolation  as ti2vid_two_stages, but every image (frame 0 too) is an appended keyframe
// Every stage loads its models and releases them before the next one starts.
import { SafetensorsFile } from "../checkpoint/safetensors.js";
import { decodeVideoFrames } from "../media/videoFrames.js";
import { ltx2Sigmas, sigmasFromValues, DISTILLED_SIGMA_VALUES, STAGE_2_DISTILLED_SIGMA_VALUES } from "../models/ltx2/components/schedulers.js";
import { audioLatentFromTokens, clearConditioning, createInitialState, type LatentState, videoLatentFromTokens, videoTokens } from "../models/ltx2/conditioning/latentState.js";
import { parseTransformerConfig } from "../models/ltx2/transformer/config.js";
import { audioLatentFrames } from "../models/ltx2/audio/duration.js";
import { audioPositions, videoPositions } from "../models/ltx2/transformer/positions.js";
import type { Tensor } from "../runtime/tensor.js";
import type { TilingConfig } from "../models/ltx2/vae/tiling.js";
import { GaussianGenerator } from "../models/ltx2/components/noisers.js";
import { parseModelVersion } from "../models/ltx2/components/pipelineParams.js";
import type { RunContext } from "./context.js";
import type { ModelInfo } from "./modelFiles.js";
import { applyImages, applyReference, encodeClips, encodeImages, maskFromFrames, prepareImages, type PreparedImage, referenceClip } from "./stages/conditionImages.js";
import { decodeAudioTrack } from "./stages/decodeAudio.js";
import { decodeFrames } from "./stages/decodeVideo.js";
import { denoise } from "./stages/denoise.js";
import { disposeContext, encodePrompts, enhancePositivePrompt, type GemmaHolder, type TextContext } from "./stages/encodePrompt.js";
import { encodeMedia } from "./stages/encodeMedia.js";
import { openTransformer } from "./stages/transformer.js";
import { upsampleLatent } from "./stages/upsample.js";
import { type ResolvedParams, TWO_STAGE } from "./types.js";

export interface RunOutput {
  frames: number;
  hasAudio: boolean;
  /** The prompt Gemma wrote (enhancePrompt runs only). */
  enhancedPrompt?: string;
}

interface Shapes {
  channels: number;
  audioChannels: number;
  /** Audio latent [1, z, T, bins] with z·bins = audioChannels. */
  audioZ: number;
}

function shapesOf(checkpoint: string): Shapes {
  using f = SafetensorsFile.open(checkpoint);
  const c = parseTransformerConfig(f.config);
  const dd = ((f.config?.audio_vae as { model?: { params?: { ddconfig?: { z_channels?: number } } } } | undefined)?.model?.params?.ddconfig);
  return { channels: c.inChannels, audioChannels: c.audioInChannels, audioZ: dd?.z_channels ?? 8 };
}

function grid(frames: number, width: number, height: number) {
  return { frames: (frames - 1) / 8 + 1, height: height / 32, width: width / 32 };
}

function versionAtLeast(version: string, min: readonly number[]): boolean {
  const v = parseModelVersion(version);
  for (let i = 0; i < min.length; i++) if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i]!;
  return true;
}

export async function runPipeline(ctx: RunContext, p: ResolvedParams, models: ModelInfo, opts: { decodeTiling?: TilingConfig } = {}): Promise<RunOutput> {
  const ckpt = models.files.checkpoint;
  const shapes = shapesOf(ckpt);
  const twoStage = TWO_STAGE.has(p.pipeline);
  const guided = p.pipeline === "ti2vid_one_stage" || p.pipeline === "ti2vid_two_stages" || p.pipeline === "keyframe_interpolation";
  const keyframesOnly = p.pipeline === "keyframe_interpolation";
  const w1 = twoStage ? p.width / 2 : p.width, h1 = twoStage ? p.height / 2 : p.height;
  const g1 = grid(p.numFrames, w1, h1);
  const audioFrames = audioLatentFrames(p.numFrames, p.fps);
  const userLoras = models.loras.map((l) => ({ path: l.path, strength: l.strength }));

  let contexts: TextContext[] = [];
  const gemma: GemmaHolder = {};
  try {
    let enhancedPrompt: string | undefined;
    try {
      if (p.enhancePrompt) enhancedPrompt = await ctx.stage("enhance", () => enhancePositivePrompt(ctx, models.files.textEncoder, p, gemma));
      const prompt = enhancedPrompt ?? p.prompt;
      contexts = await ctx.stage("text", () => encodePrompts(ctx, ckpt, models.files.textEncoder, guided ? [prompt, p.negativePrompt] : [prompt], gemma));
    } finally {
      gemma.encoder?.dispose();
    }
    const [positive, negative] = contexts as [TextContext, TextContext | undefined];
    const images: PreparedImage[] = await ctx.stage("images", () => prepareImages(p.images));

    // Stage 1.
    let video: LatentState = createInitialState(videoPositions(g1, p.fps), shapes.channels);
    await ctx.stage("conditioning", async () => {
      video = applyImages(video, images, encodeImages(ctx, ckpt, images, w1, h1), g1, p.fps, keyframesOnly);
      if (p.referenceVideo) {
        const lora = models.loras[0]!;
        const d = lora.referenceDownscaleFactor, s = lora.referenceTemporalScaleFactor;
        const frames = await decodeVideoFrames(p.referenceVideo.path, p.numFrames);
        const [ref] = encodeClips(ctx, ckpt, [referenceClip(frames, w1 / d, h1 / d, s)]);
        // Upstream loads the mask at the stage-1 size (half the output) and pools it to the reference's tokens.
        const mask = p.referenceVideo.attentionMask ? maskFromFrames(await decodeVideoFrames(p.referenceVideo.attentionMask, p.numFrames), w1, h1) : undefined;
        video = applyReference(video, ref!, p.fps, {
          downscale: d, temporalScale: s, strength: p.referenceVideo.strength, attentionStrength: p.referenceVideo.attentionStrength,
          ...(mask ? { attentionMask: mask } : {}),
        });
      }
    });
    let audio = createInitialState(audioPositions(audioFrames), shapes.audioChannels);
    const stage1 = await ctx.stage("stage1", () => {
      using t = openTransformer(ckpt, userLoras);
      const sigmas = p.pipeline === "distilled" || p.pipeline === "ic_lora" ? sigmasFromValues(DISTILLED_SIGMA_VALUES) : ltx2Sigmas(p.steps);
      // LTX-2.5+ distilled checkpoints sample stage 1 with Euler-ancestral (η = 1), noise seeded seed + 10000.
      const ancestral = (p.pipeline === "distilled" || p.pipeline === "ic_lora") && versionAtLeast(models.modelVersion, [2, 5]);
      return denoise(ctx, t.model, video, audio, {
        sigmas, noiseScale: 1, positive, ...(ancestral ? { ancestral: new GaussianGenerator(p.seed + 10000) } : {}), ...(negative ? { negative } : {}),
        ...(guided ? { guidance: { video: p.videoGuidance, audio: p.audioGuidance } } : {}),
      });
    });
    let videoOut = clearConditioning(video, stage1.video);
    let audioOut = clearConditioning(audio, stage1.audio);
    let g = g1;

    if (twoStage) {
      const g2 = grid(p.numFrames, p.width, p.height);
      const upsampled = await ctx.stage("upsample", () => {
        using lat = videoLatentFromTokens(videoOut, g1, shapes.channels);
        using up = upsampleLatent(ckpt, models.upsampler!.path, lat);
        return videoTokens(up);
      });
      // Stage 2 rebuilds its conditionings at full size (images only: no reference tokens).
      video = createInitialState(videoPositions(g2, p.fps), shapes.channels, upsampled);
      await ctx.stage("conditioning2", () => {
        video = applyImages(video, images, encodeImages(ctx, ckpt, images, p.width, p.height), g2, p.fps, keyframesOnly);
      });
      audio = createInitialState(audioPositions(audioFrames), shapes.audioChannels, audioOut);
      const loras2 = p.pipeline === "ic_lora" ? [] : p.pipeline === "distilled" ? userLoras
        : [...userLoras, { path: models.distilledLora!.path, strength: models.distilledLora!.strength }];
      const sigmas = sigmasFromValues(STAGE_2_DISTILLED_SIGMA_VALUES);
      const stage2 = await ctx.stage("stage2", () => {
        using t = openTransformer(ckpt, loras2);
        return denoise(ctx, t.model, video, audio, { sigmas, noiseScale: sigmas[0]!, positive });
      });
      videoOut = clearConditioning(video, stage2.video);
      // ti2vid_two_stages keeps the stage-1 audio (upstream); the others use the refined one.
      if (p.pipeline !== "ti2vid_two_stages") audioOut = clearConditioning(audio, stage2.audio);
      g = g2;
    }
    for (const c of contexts) disposeContext(c);
    contexts = [];

    const waveform = models.hasAudio
      ? await ctx.stage("audio", () => {
        using lat = audioLatentFromTokens(audioOut, audioFrames, shapes.audioZ, shapes.audioChannels / shapes.audioZ);
        return decodeAudioTrack(ctx, ckpt, lat, p.numFrames, p.fps);
      })
      : undefined;
    const frames = await ctx.stage("decode", async () => {
      let lat: Tensor | undefined = videoLatentFromTokens(videoOut, g, shapes.channels);
      try {
        return await encodeMedia(decodeFrames(ctx, ckpt, lat, p.seed, opts.decodeTiling), {
          output: p.output, width: p.width, height: p.height, fps: p.fps,
          ...(waveform ? { audio: waveform } : {}), ...(p.pngFramesDir ? { pngFramesDir: p.pngFramesDir } : {}),
        });
      } finally {
        lat.dispose();
        lat = undefined;
      }
    });
    return { frames, hasAudio: Boolean(waveform), ...(enhancedPrompt !== undefined ? { enhancedPrompt } : {}) };
  } finally {
    for (const c of contexts) disposeContext(c);
  }
}
