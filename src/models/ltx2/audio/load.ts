// Entry points from a checkpoint file: build the audio models from its `config` metadata and weights, and the
// upstream `decode_audio` / `encode_audio` compositions.
import type { WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import { narrow } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import { AudioDecoder, AudioEncoder } from "./audioVae.js";
import { parseAudioVaeConfig, parseVocoderConfig } from "./config.js";
import { fitWaveformToVideo } from "./duration.js";
import { AudioProcessor, type Waveform } from "./ops.js";
import { Vocoder } from "./vocoder.js";

/** A checkpoint: weights plus its parsed `__metadata__.config` (SafetensorsFile is one). */
export type AudioCheckpoint = WeightSource & { readonly config: Record<string, unknown> | undefined };

function configOf(file: AudioCheckpoint): Record<string, unknown> {
  const c = file.config;
  if (!c) throw new AiprodError("ERR_AIPROD_BAD_CONFIG", `aiprod.ltx2.audio: ${file.name} has no __metadata__.config`);
  return c;
}

export function loadAudioDecoder(file: AudioCheckpoint): AudioDecoder {
  return new AudioDecoder(file, parseAudioVaeConfig(configOf(file).audio_vae));
}

export function loadAudioEncoder(file: AudioCheckpoint): AudioEncoder {
  return new AudioEncoder(file, parseAudioVaeConfig(configOf(file).audio_vae));
}

export function loadVocoder(file: AudioCheckpoint): Vocoder {
  return new Vocoder(file, parseVocoderConfig(configOf(file).vocoder));
}

/** Upstream `decode_audio`: latent [B, z, T, F] → one stereo waveform per batch item at the vocoder's rate. */
export function decodeAudio(latent: Tensor, decoder: AudioDecoder, vocoder: Vocoder, onStep?: (step: number, steps: number) => void): Waveform[] {
  // Progress over both models: the decoder's points, then the vocoder's.
  const steps = decoder.progressSteps + vocoder.progressSteps;
  using mel = decoder.decode(latent, onStep && ((i) => onStep(i, steps)));
  using wave = vocoder.forward(mel, onStep && ((i) => onStep(decoder.progressSteps + i, steps)));
  const [b, c, n] = wave.shape as [number, number, number];
  const out: Waveform[] = [];
  for (let i = 0; i < b; i++) {
    using item = narrow(wave, 0, i, 1);
    const flat = item.read() as Float32Array;
    out.push({ samples: Array.from({ length: c }, (_, ch) => flat.slice(ch * n, (ch + 1) * n)), sampleRate: vocoder.sampleRate });
  }
  return out;
}

/** decodeAudio, then each waveform cut (and zero-padded unless pad is false) to frames/fps seconds. */
export function decodeAudioForVideo(latent: Tensor, decoder: AudioDecoder, vocoder: Vocoder, frames: number, fps: number,
  opts: { pad?: boolean; onStep?: (step: number, steps: number) => void } = {}): Waveform[] {
  return decodeAudio(latent, decoder, vocoder, opts.onStep).map((w) => fitWaveformToVideo(w, frames, fps, { ...(opts.pad !== undefined ? { pad: opts.pad } : {}) }));
}

/** Upstream `encode_audio`: waveforms (at the encoder's 16 kHz) → mel → normalized latent [B, z, T', F']. */
export function encodeAudio(waveforms: readonly Waveform[], encoder: AudioEncoder, processor?: AudioProcessor): Tensor {
  const c = encoder.config;
  const p = processor ?? new AudioProcessor(c.sampleRate, c.melBins, c.hopLength, c.nFft);
  using mel = p.waveformToMel(waveforms);
  return encoder.encode(mel);
}
