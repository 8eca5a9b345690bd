// Stage: audio latent → stereo waveform cut to the video's duration (upstream AudioDecoder block: audio VAE
// decoder + vocoder). Checkpoints without an audio VAE/vocoder give no audio.
import { SafetensorsFile } from "../../checkpoint/safetensors.js";
import { decodeAudioForVideo, loadAudioDecoder, loadVocoder } from "../../models/ltx2/audio/load.js";
import type { Waveform } from "../../models/ltx2/audio/ops.js";
import type { Tensor } from "../../runtime/tensor.js";
import type { RunContext } from "../context.js";

export function decodeAudioTrack(ctx: RunContext, checkpoint: string, latent: Tensor, frames: number, fps: number): Waveform {
  using file = SafetensorsFile.open(checkpoint);
  using decoder = loadAudioDecoder(file);
  using vocoder = loadVocoder(file);
  // Progress (and cancellation) between the decoder's and the vocoder's blocks: the stage is long.
  return decodeAudioForVideo(latent, decoder, vocoder, frames, fps, { onStep: (step, steps) => (ctx.check(), ctx.progress(step, steps)) })[0]!;
}
