// Stage: audio latent → stereo waveform cut to the video's duration (upstream AudioDecoder block: audio VAE
// decoder + vocoder). Checkpoints without an audio VAE/vocoder give no audio.
import { SafetensorsFile } from "../../checkpoint/safetensors.js";
import { decodeAudioForVideo, loadAudioDecoder, loadVocoder } from "../../models/ltx2/audio/load.js";
import type { Waveform } from "../../models/ltx2/audio/ops.js";
import type { Tensor } from "../../runtime/tensor.js";

export function decodeAudioTrack(checkpoint: string, latent: Tensor, frames: number, fps: number): Waveform {
  using file = SafetensorsFile.open(checkpoint);
  using decoder = loadAudioDecoder(file);
  using vocoder = loadVocoder(file);
  return decodeAudioForVideo(latent, decoder, vocoder, frames, fps)[0]!;
}
