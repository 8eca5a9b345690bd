// What the memory planner needs to know about the model files, read from the safetensors headers only (like
// modelFiles.ts): the stored bytes and element counts of each component's weights and the configs that set the
// activation shapes. Nothing is loaded.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile, type WeightSource } from "../../checkpoint/safetensors.js";
import { ShardedWeights } from "../../models/gemma3/folder.js";
import { type AudioVaeConfig, parseAudioVaeConfig, parseVocoderConfig, type VocoderConfig } from "../../models/ltx2/audio/config.js";
import { parseTransformerConfig, type TransformerConfig } from "../../models/ltx2/transformer/config.js";
import { parseLatentUpsamplerConfig } from "../../models/ltx2/upsampler/config.js";
import { parseVideoVaeConfig, type VideoVaeConfig } from "../../models/ltx2/vae/config.js";
import type { ModelInfo } from "../modelFiles.js";

/** Weights of one component: bytes as stored (what a mapping of them makes resident) and element count. */
export interface WeightSize {
  storedBytes: number;
  elements: number;
  /**
   * Elements of convolution weights the native conv3d runs with Winograd F(2x2, 3x3) (3x3 spatial kernels with
   * Cin >= 32 and Cout >= 48: native/kernels/conv/conv3d.cc use_winograd), whose packed copy holds 16 transformed
   * points per 9 taps; the other conv weights pack as plain f32 panels.
   */
  winogradElements: number;
  /** Elements of the other weights with two or more dimensions (packed once as f32 panels by convolutions). */
  panelElements: number;
}

export interface ModelFacts {
  transformer: WeightSize & { config: TransformerConfig };
  /** Feature extractor and the two connectors (the checkpoint's text side). */
  textSide: WeightSize;
  gemma: WeightSize & { hiddenSize: number; layers: number };
  vaeEncoder: WeightSize;
  vaeDecoder: WeightSize & { config: VideoVaeConfig };
  audio?: { decoder: WeightSize; vocoder: WeightSize; vae: AudioVaeConfig; vocoderConfig: VocoderConfig };
  upsampler?: WeightSize & { midChannels: number };
  /** LoRA files fused into the transformer per stage: user LoRAs and the distilled LoRA. */
  loras: LoraSize;
  distilledLora?: LoraSize;
  /** The IC-LoRA's reference_downscale_factor / reference_temporal_scale_factor (1 without one). */
  referenceDownscale: number;
  referenceTemporalScale: number;
}

/** A LoRA file, and the elements of the modules it targets (each fused into a new out × in weight). */
export interface LoraSize extends WeightSize {
  fusedElements: number;
}

const ZERO = (): WeightSize => ({ storedBytes: 0, elements: 0, winogradElements: 0, panelElements: 0 });

function add(w: WeightSize, src: WeightSource, key: string): void {
  const i = src.info(key);
  const n = i.shape.reduce((a, b) => a * b, 1);
  w.storedBytes += i.byteLength;
  w.elements += n;
  const s = i.shape;
  // [Cout, Cin, (kT,) kH, kW] convolution weights (2-D ones are Conv2d, seen by conv3d as kT = 1).
  if (s.length >= 4 && s[s.length - 1] === 3 && s[s.length - 2] === 3 && s[1]! >= 32 && s[0]! >= 48) w.winogradElements += n;
  else if (s.length >= 2) w.panelElements += n;
}

function loraWeights(path: string): LoraSize {
  using f = SafetensorsFile.open(path);
  const w = { ...ZERO(), fusedElements: 0 };
  for (const k of f.keys()) {
    add(w, f, k);
    // lora_B [out, r] · lora_A [r, in] → out × in.
    if (k.endsWith(".lora_B.weight")) {
      const a = k.replace(/lora_B\.weight$/, "lora_A.weight");
      if (f.has(a)) w.fusedElements += f.info(k).shape[0]! * f.info(a).shape[1]!;
    }
  }
  return w;
}

/** Reads the headers of every file in `models` (checkpoint, Gemma folder, upsampler, LoRAs). */
export function modelFacts(models: ModelInfo): ModelFacts {
  using ckpt = SafetensorsFile.open(models.files.checkpoint);
  const config = ckpt.config ?? {};
  const parts = { transformer: ZERO(), textSide: ZERO(), vaeEncoder: ZERO(), vaeDecoder: ZERO(), audioDecoder: ZERO(), vocoder: ZERO() };
  for (const k of ckpt.keys()) {
    // The connectors live under the transformer's prefix but run in the text stage.
    if (/^model\.diffusion_model\.(video|audio)_embeddings_connector\./.test(k) || k.startsWith("text_embedding_projection.")) add(parts.textSide, ckpt, k);
    else if (k.startsWith("model.diffusion_model.")) add(parts.transformer, ckpt, k);
    else if (k.startsWith("vae.encoder.")) add(parts.vaeEncoder, ckpt, k);
    else if (k.startsWith("vae.")) add(parts.vaeDecoder, ckpt, k);
    else if (k.startsWith("audio_vae.decoder.") || k.startsWith("audio_vae.per_channel_statistics.")) add(parts.audioDecoder, ckpt, k);
    else if (k.startsWith("vocoder.")) add(parts.vocoder, ckpt, k);
  }
  const gemmaConfig = JSON.parse(readFileSync(join(models.files.textEncoder, "config.json"), "utf8")) as Record<string, unknown>;
  const text = (gemmaConfig.text_config ?? gemmaConfig) as { hidden_size?: number; num_hidden_layers?: number };
  const gemma = ZERO();
  {
    using g = ShardedWeights.open(models.files.textEncoder);
    // The vision tower only runs for image-to-video prompt enhancement, which the planner does not cover.
    for (const k of g.keys()) if (!k.includes("vision_tower.") && !k.includes("multi_modal_projector.")) add(gemma, g, k);
  }
  const facts: ModelFacts = {
    transformer: { ...parts.transformer, config: parseTransformerConfig(config) },
    textSide: parts.textSide,
    gemma: { ...gemma, hiddenSize: text.hidden_size ?? 3840, layers: text.num_hidden_layers ?? 48 },
    vaeEncoder: parts.vaeEncoder,
    vaeDecoder: { ...parts.vaeDecoder, config: parseVideoVaeConfig(config.vae) },
    loras: { ...ZERO(), fusedElements: 0 },
    referenceDownscale: models.loras[0]?.referenceDownscaleFactor ?? 1,
    referenceTemporalScale: models.loras[0]?.referenceTemporalScaleFactor ?? 1,
  };
  if (config.audio_vae && config.vocoder) {
    facts.audio = { decoder: parts.audioDecoder, vocoder: parts.vocoder, vae: parseAudioVaeConfig(config.audio_vae), vocoderConfig: parseVocoderConfig(config.vocoder) };
  }
  if (models.upsampler) {
    using up = SafetensorsFile.open(models.upsampler.path);
    const w = ZERO();
    for (const k of up.keys()) add(w, up, k);
    facts.upsampler = { ...w, midChannels: parseLatentUpsamplerConfig(up.config ?? {}).midChannels };
  }
  for (const l of models.loras) {
    const w = loraWeights(l.path);
    facts.loras.storedBytes += w.storedBytes;
    facts.loras.elements += w.elements;
    facts.loras.fusedElements += w.fusedElements;
  }
  if (models.distilledLora) facts.distilledLora = loraWeights(models.distilledLora.path);
  return facts;
}
