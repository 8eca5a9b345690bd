// `aiprod generate`: options → a request for the engine, a progress bar with ETA on stderr, a summary at the end.
import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { createEngine, type EngineDevice } from "../pipelines/engine.js";
import { DEFAULT_PIPELINE } from "../pipelines/defaults.js";
import { ensureTinyModels, tinyModelsDir } from "../pipelines/tinyModels.js";
import { type GenerateParams, type ImageInput, type LoraInput, type ModelFiles, type PipelineName, PIPELINES, type Progress } from "../pipelines/types.js";
import { ProgressBar } from "./progressBar.js";

/** PATH[:A[:B]] where A and B are numbers; a path may itself contain ':' (the numeric tail is split off). */
export function splitNumericTail(spec: string, max: number, flag: string): [string, number[]] {
  const parts = spec.split(":");
  const nums: number[] = [];
  while (parts.length > 1 && nums.length < max && /^-?[0-9]*\.?[0-9]+$/.test(parts[parts.length - 1]!)) nums.unshift(Number(parts.pop()));
  const path = parts.join(":");
  if (!path) throw new InvalidArgumentError(`${flag} '${spec}' has no path`);
  return [path, nums];
}

const collect = <T>(parse: (s: string) => T) => (value: string, prev: T[] = []) => [...prev, parse(value)];

export function parseImage(spec: string): ImageInput {
  const [path, [frame, strength, crf]] = splitNumericTail(spec, 3, "--image");
  return { source: path, ...(frame !== undefined ? { frame } : {}), ...(strength !== undefined ? { strength } : {}), ...(crf !== undefined ? { crf } : {}) };
}

export function parseLora(spec: string): LoraInput {
  const [path, [strength]] = splitNumericTail(spec, 1, "--lora");
  return { path, ...(strength !== undefined ? { strength } : {}) };
}

function parseSize(s: string): { width: number; height: number } {
  const m = /^([0-9]+)x([0-9]+)$/i.exec(s);
  if (!m) throw new InvalidArgumentError(`--size must be WIDTHxHEIGHT, e.g. 768x512; got '${s}'`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function number(name: string, integer = false) {
  return (s: string) => {
    const v = Number(s);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) throw new InvalidArgumentError(`${name} must be ${integer ? "an integer" : "a number"}, got '${s}'`);
    return v;
  };
}

interface Opts {
  pipeline: PipelineName; out: string; model?: string; textEncoder?: string; upsampler?: string; distilledLora?: string;
  lora?: LoraInput[]; image?: ImageInput[]; referenceVideo?: string; conditioningAttentionMask?: string; numFrames?: number; size?: { width: number; height: number };
  fps?: number; steps?: number; seed?: number; negativePrompt?: string; enhancePrompt?: boolean; pngFrames?: string; device: EngineDevice; json?: boolean; quiet?: boolean;
}

export function addGenerateCommand(program: Command): void {
  program
    .command("generate")
    .description("generate a video (with sound) from a prompt, optionally conditioned on images, a reference video and LoRAs")
    .argument("<prompt>", "what the video shows and sounds like")
    .addOption(new Option("-p, --pipeline <name>", "pipeline").choices([...PIPELINES]).default(DEFAULT_PIPELINE))
    .option("-o, --out <file.mp4>", "output MP4 (H.264 CRF 19 yuv420p BT.709 + AAC)", "video.mp4")
    .option("--model <checkpoint>", "LTX-2 checkpoint (.safetensors). Without it a tiny built-in model with random weights runs")
    .option("--text-encoder <dir>", "Gemma 3 folder (Hugging Face layout)")
    .option("--upsampler <file>", "spatial x2 latent upsampler (two-stage pipelines)")
    .option("--distilled-lora <PATH[:STRENGTH]>", "distilled LoRA for the stage-2 refinement of ti2vid_two_stages and keyframe_interpolation")
    .option("--lora <PATH[:STRENGTH]>", "LoRA fused into the transformer (IC-LoRA for ic_lora); repeatable", collect(parseLora))
    .option("--image <PATH[:FRAME[:STRENGTH[:CRF]]]>", "conditioning image at pixel FRAME (default 0) with STRENGTH in [0,1] (default 1); repeatable", collect(parseImage))
    .option("--reference-video <PATH[:STRENGTH]>", "reference (control) video for ic_lora")
    .option("--conditioning-attention-mask <PATH[:STRENGTH]>", "ic_lora: grayscale mask video in [0,1] weighting attention to the reference, times STRENGTH (default 1)")
    .option("--num-frames <n>", "frame count, 8k+1 (default 121; 9 with the built-in model)", number("--num-frames", true))
    .option("--size <WxH>", "output size; multiples of 32 (64 for two-stage pipelines) (default 1536x1024, one-stage 768x512)", parseSize)
    .option("--fps <n>", "frames per second (default 24)", number("--fps"))
    .option("--steps <n>", "denoising steps of the guided pipelines (default 40 for LTX-2.0, 30 from 2.3)", number("--steps", true))
    .option("--seed <n>", "random seed (default 10)", number("--seed", true))
    .option("--negative-prompt <text>", "negative prompt of the guided pipelines (default: upstream's list)")
    .option("--enhance-prompt", "let Gemma rewrite the prompt before encoding (from the frame-0 --image too, if any), seeded by --seed; the rewrite is printed")
    .option("--png-frames <dir>", "also write every frame as PNG into this new folder")
    .addOption(new Option("--device <device>", "where to run").choices(["cpu", "cuda", "auto"]).default("auto"))
    .option("--json", "print the result (metadata, hashes, per-stage time and memory) as JSON")
    .option("-q, --quiet", "no progress bar")
    .addHelpText("after", `
Pipelines:
  distilled               8 steps at half size, x2 latent upsampling, 3 refinement steps; no guidance (fastest)
  ti2vid_one_stage        one guided stage at full size (CFG, STG, modality guidance), --steps steps
  ti2vid_two_stages       guided stage at half size, upsampling, refinement with --distilled-lora
  ic_lora                 distilled + IC-LoRA(s) (--lora) following --reference-video
  keyframe_interpolation  like ti2vid_two_stages; every --image is a keyframe at its frame

Without --model a tiny built-in model set (seeded random weights in the real file layout, written once to
${tinyModelsDir()}) is used, so the command works on a fresh machine; its videos are noise, not content.

Examples:
  aiprod generate "a red fox running through snow" --out fox.mp4
  aiprod generate "waves at dusk" --model ltx-2-19b-distilled.safetensors --text-encoder gemma-3-12b \\
      --upsampler ltx-2-spatial-upscaler-x2.safetensors --size 1536x1024 --num-frames 121 --out waves.mp4
  aiprod generate "she turns and smiles" --image portrait.jpg:0:1 --pipeline distilled ...
`)
    .action(async (prompt: string, o: Opts) => runGenerate(prompt, o));
}

async function runGenerate(prompt: string, o: Opts): Promise<void> {
  const engine = createEngine({ device: o.device }); // first: a missing device is refused before any model work
  const builtIn = !o.model;
  let files: ModelFiles;
  if (builtIn) {
    if (o.textEncoder || o.upsampler || o.distilledLora) throw new Error("--text-encoder, --upsampler and --distilled-lora need --model");
    console.error(`aiprod generate: no --model given, so this runs the tiny BUILT-IN model with random weights (${tinyModelsDir()}).\n` +
      "The output is noise that exercises the whole pipeline; pass --model and --text-encoder for real videos.");
    const tiny = ensureTinyModels();
    files = { ...tiny, loras: [...(o.pipeline === "ic_lora" ? tiny.loras ?? [] : []), ...(o.lora ?? [])] };
  } else {
    if (!o.textEncoder) throw new Error("--model needs --text-encoder (the Gemma 3 folder)");
    files = {
      checkpoint: o.model!, textEncoder: o.textEncoder, ...(o.upsampler ? { upsampler: o.upsampler } : {}),
      ...(o.distilledLora ? { distilledLora: parseLora(o.distilledLora) } : {}), loras: o.lora ?? [],
    };
  }
  await engine.loadModels(files);
  const size = o.size ?? (builtIn ? { width: 128, height: 128 } : undefined);
  const params: GenerateParams = {
    pipeline: o.pipeline, prompt, output: resolve(o.out),
    ...(size ? size : {}),
    ...(o.numFrames !== undefined ? { numFrames: o.numFrames } : builtIn ? { numFrames: 9 } : {}),
    ...(o.steps !== undefined ? { steps: o.steps } : builtIn && !["distilled", "ic_lora"].includes(o.pipeline) ? { steps: 4 } : {}),
    ...(o.fps !== undefined ? { fps: o.fps } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.negativePrompt !== undefined ? { negativePrompt: o.negativePrompt } : {}),
    ...(o.enhancePrompt ? { enhancePrompt: true } : {}),
    ...(o.image ? { images: o.image } : {}), ...(o.pngFrames ? { pngFramesDir: resolve(o.pngFrames) } : {}),
  };
  if (o.referenceVideo) {
    const [path, [strength]] = splitNumericTail(o.referenceVideo, 1, "--reference-video");
    params.referenceVideo = { path, ...(strength !== undefined ? { strength } : {}) };
  }
  if (o.conditioningAttentionMask) {
    if (!params.referenceVideo) throw new InvalidArgumentError("--conditioning-attention-mask needs --reference-video");
    const [maskPath, [attention]] = splitNumericTail(o.conditioningAttentionMask, 1, "--conditioning-attention-mask");
    params.referenceVideo = { ...params.referenceVideo, attentionMask: maskPath, ...(attention !== undefined ? { attentionStrength: attention } : {}) };
  }
  const bar = o.quiet ? undefined : new ProgressBar(process.stderr);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    const r = await engine.generate(params, { signal: controller.signal, ...(bar ? { onProgress: (p: Progress) => bar.update(p) } : {}) });
    bar?.done();
    if (o.json) console.log(JSON.stringify(r, (k, v) => (k === "source" && v instanceof Uint8Array ? `<${v.length} bytes>` : v), 2));
    else {
      console.log(`${r.output}: ${r.frames} frames ${r.width}x${r.height} @ ${r.fps} fps, ${r.hasAudio ? "with" : "without"} audio, seed ${r.seed}, ${r.seconds.toFixed(1)} s`);
      if (r.enhancedPrompt !== undefined) console.log(`enhanced prompt: ${r.enhancedPrompt}`);
      for (const s of r.stages) console.log(`  ${s.stage.padEnd(14)} ${s.seconds.toFixed(2).padStart(8)} s  peak RSS ${(s.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
    }
  } finally {
    process.off("SIGINT", onSigint);
    bar?.done();
  }
}
