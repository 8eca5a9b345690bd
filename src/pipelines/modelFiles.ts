// What the engine knows about its model files before any weights load: configs and metadata read from the
// safetensors headers, the checks that the files belong together, and their SHA-256 for result metadata.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile, type WeightSource } from "../checkpoint/safetensors.js";
import { ShardedWeights } from "../models/gemma3/folder.js";
import { hasVisionConfig } from "../models/gemma3/vision/config.js";
import { TRANSFORMER_PREFIX } from "../models/ltx2/checkpoint/layout.js";
import { LoraFusedSource } from "../models/ltx2/loraFusion.js";
import { AiprodError } from "../native/errors.js";
import { parseLatentUpsamplerConfig } from "../models/ltx2/upsampler/config.js";
import { parseTransformerConfig } from "../models/ltx2/transformer/config.js";
import { parseVideoVaeConfig } from "../models/ltx2/vae/config.js";
import type { LoraInput, ModelFiles } from "./types.js";

export interface LoraInfo {
  path: string;
  strength: number;
  /** IC-LoRA metadata `reference_downscale_factor` (default 1). */
  referenceDownscaleFactor: number;
  /** IC-LoRA metadata `reference_temporal_scale_factor` (default 1). */
  referenceTemporalScaleFactor: number;
}

export interface ModelInfo {
  files: ModelFiles;
  modelVersion: string;
  latentChannels: number;
  hasAudio: boolean;
  /** The Gemma folder has a vision_config and vision tower + projector weights (image-to-video enhancement). */
  textEncoderVision: boolean;
  upsampler?: { path: string };
  distilledLora?: LoraInfo;
  loras: LoraInfo[];
}

function modelError(message: string): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_MODEL", `aiprod.models: ${message}`);
}

function mustExist(path: string, what: string, kind: "file" | "dir"): void {
  if (!existsSync(path)) throw new AiprodError("ERR_AIPROD_FILE_NOT_FOUND", `aiprod.models: ${what} '${path}' does not exist`);
  const st = statSync(path);
  if (kind === "file" && !st.isFile()) throw modelError(`${what} '${path}' is not a file`);
  if (kind === "dir" && !st.isDirectory()) throw modelError(`${what} '${path}' is not a folder (expected a Gemma 3 folder with config.json)`);
}

function intMeta(file: SafetensorsFile, key: string): number {
  const raw = file.metadata[key];
  if (raw === undefined) return 1;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw modelError(`${file.name} has metadata ${key}='${raw}'; expected a positive integer`);
  return v;
}

/** Opens the LoRA's header and checks every module it targets exists in `base` with matching shapes (no weights read). */
function loraInfo(l: LoraInput, what: string, base: WeightSource): LoraInfo {
  mustExist(l.path, what, "file");
  const strength = l.strength ?? 1;
  if (!Number.isFinite(strength)) throw modelError(`${what} '${l.path}' has strength ${strength}; expected a finite number`);
  const f = SafetensorsFile.open(l.path);
  try {
    if (!f.keys().some((k) => /\.lora_[AB]\.weight$/.test(k))) throw modelError(`${what} '${l.path}' has no lora_A/lora_B weights`);
    new LoraFusedSource(base, [{ source: f, strength, name: `${what} '${l.path}'` }]);
    return { path: l.path, strength, referenceDownscaleFactor: intMeta(f, "reference_downscale_factor"), referenceTemporalScaleFactor: intMeta(f, "reference_temporal_scale_factor") };
  } finally {
    f.dispose();
  }
}

/** Whether a Gemma folder can enhance from an image: vision_config and vision weights, from headers only. */
function gemmaHasVision(dir: string): boolean {
  try {
    if (!hasVisionConfig(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")))) return false;
    using w = ShardedWeights.open(dir);
    const keys = w.keys();
    return keys.some((k) => k.includes("vision_tower.")) && keys.some((k) => k.includes("multi_modal_projector."));
  } catch {
    return false; // an unreadable folder fails with its own error when the text stage loads it
  }
}

/** Reads and cross-checks the headers (no weights are loaded). */
export function inspectModels(files: ModelFiles): ModelInfo {
  mustExist(files.checkpoint, "checkpoint", "file");
  mustExist(files.textEncoder, "text encoder folder", "dir");
  if (!existsSync(join(files.textEncoder, "config.json"))) throw modelError(`text encoder folder '${files.textEncoder}' has no config.json`);
  const ckpt = SafetensorsFile.open(files.checkpoint);
  try {
    const config = ckpt.config;
    if (!config?.transformer) throw modelError(`${ckpt.name} has no __metadata__.config.transformer; is it an LTX-2 checkpoint?`);
    if (!config.vae) throw modelError(`${ckpt.name} has no __metadata__.config.vae (the video VAE is needed to decode)`);
    const t = parseTransformerConfig(config);
    const vae = parseVideoVaeConfig(config.vae);
    if (vae.latentChannels !== t.inChannels || t.outChannels !== t.inChannels) {
      throw modelError(`${ckpt.name}: the VAE has ${vae.latentChannels} latent channels but the transformer takes ${t.inChannels} and predicts ${t.outChannels}`);
    }
    const info: ModelInfo = {
      files, modelVersion: ckpt.modelVersion, latentChannels: vae.latentChannels, hasAudio: Boolean(config.audio_vae && config.vocoder), loras: [],
      textEncoderVision: gemmaHasVision(files.textEncoder),
    };
    if (files.upsampler) {
      mustExist(files.upsampler, "upsampler", "file");
      const up = SafetensorsFile.open(files.upsampler);
      try {
        const c = parseLatentUpsamplerConfig(up.config ?? {});
        if (c.inChannels !== vae.latentChannels) throw modelError(`upsampler '${files.upsampler}' takes ${c.inChannels} channels; the VAE latent has ${vae.latentChannels}`);
        if (!c.spatialUpsample || c.temporalUpsample) throw modelError(`upsampler '${files.upsampler}' is not a spatial ×2 upsampler (the two-stage pipelines need one)`);
      } finally {
        up.dispose();
      }
      info.upsampler = { path: files.upsampler };
    }
    if (files.distilledLora) info.distilledLora = loraInfo(files.distilledLora, "distilled LoRA", ckpt.view(TRANSFORMER_PREFIX));
    info.loras = (files.loras ?? []).map((l) => loraInfo(l, "LoRA", ckpt.view(TRANSFORMER_PREFIX)));
    return info;
  } finally {
    ckpt.dispose();
  }
}

async function hashFile(path: string, h = createHash("sha256")): Promise<ReturnType<typeof createHash>> {
  for await (const chunk of createReadStream(path, { highWaterMark: 8 << 20 })) h.update(chunk as Buffer);
  return h;
}

/** SHA-256 of a file, or of a folder's regular files (name, then bytes) in name order. */
export async function sha256Of(path: string): Promise<string> {
  if (!statSync(path).isDirectory()) return (await hashFile(path)).digest("hex");
  const h = createHash("sha256");
  for (const name of readdirSync(path).sort()) {
    const p = join(path, name);
    if (!statSync(p).isFile()) continue;
    h.update(name);
    await hashFile(p, h);
  }
  return h.digest("hex");
}

/**
 * (path, size, mtime) -> SHA-256, oldest entry dropped first past MODEL_HASH_CACHE_ENTRIES: a server sees a new
 * LoRA file with every LoRA upload, and an unbounded cache grew by one entry per upload for the process's life.
 */
export const MODEL_HASH_CACHE_ENTRIES = 1024;
const hashCache = new Map<string, string>();

/** Entries in the model-hash cache (tests read it). */
export function modelHashCacheSize(): number {
  return hashCache.size;
}

/** Hashes of every file in `info`, keyed by role; cached per (path, size, mtime), the most recent 1024 kept. */
export async function modelHashes(info: ModelInfo): Promise<Record<string, string>> {
  const roles: [string, string][] = [["checkpoint", info.files.checkpoint], ["textEncoder", info.files.textEncoder]];
  if (info.upsampler) roles.push(["upsampler", info.upsampler.path]);
  if (info.distilledLora) roles.push(["distilledLora", info.distilledLora.path]);
  info.loras.forEach((l, i) => roles.push([`lora${i}`, l.path]));
  const out: Record<string, string> = {};
  for (const [role, path] of roles) {
    const st = statSync(path);
    const key = `${path}\0${st.size}\0${st.mtimeMs}`;
    let h = hashCache.get(key);
    if (h) hashCache.delete(key); // re-inserted below as the most recent
    else h = await sha256Of(path);
    hashCache.set(key, h);
    if (hashCache.size > MODEL_HASH_CACHE_ENTRIES) hashCache.delete(hashCache.keys().next().value as string);
    out[role] = h;
  }
  return out;
}
