// Stage: spatial ×2 latent upsampling (upstream VideoUpsampler block: un-normalize with the VAE's per-channel
// statistics → LatentUpsampler → normalize).
import { SafetensorsFile } from "../../checkpoint/safetensors.js";
import { LatentUpsampler, upsampleVideo } from "../../models/ltx2/upsampler/model.js";
import { PerChannelStatistics } from "../../models/ltx2/vae/ops.js";
import type { Tensor } from "../../runtime/tensor.js";

export function upsampleLatent(checkpoint: string, upsamplerPath: string, latent: Tensor): Tensor {
  using file = SafetensorsFile.open(checkpoint);
  using upFile = SafetensorsFile.open(upsamplerPath);
  using stats = new PerChannelStatistics(file.view("vae.per_channel_statistics."), "", latent.shape[1]!);
  using up = LatentUpsampler.fromCheckpoint(upFile);
  return upsampleVideo(latent, stats, up);
}
