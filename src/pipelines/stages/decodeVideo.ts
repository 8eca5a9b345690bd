// Stage: video latent → frames, streamed (upstream VideoDecoder block with AUTO tiling): each chunk of frames
// [f, h, w, 3] in [0, 1] is handed on as soon as the tiled decoder has finished it, so the whole video is never
// held in memory at once.
import { SafetensorsFile } from "../../checkpoint/safetensors.js";
import { ConvVideoDecoder } from "../../models/ltx2/vae/convVideoDecoder.js";
import { DEFAULT_TILING, type TilingConfig } from "../../models/ltx2/vae/tiling.js";
import type { Tensor } from "../../runtime/tensor.js";
import type { RunContext } from "../context.js";

/** `tiling`: the memory plan's choice (a smaller tile when the default would not fit), else upstream's default. */
export function* decodeFrames(ctx: RunContext, checkpoint: string, latent: Tensor, seed: number, tiling: TilingConfig = DEFAULT_TILING): Generator<Float32Array> {
  using file = SafetensorsFile.open(checkpoint);
  using decoder = ConvVideoDecoder.fromCheckpoint(file);
  const total = 8 * (latent.shape[2]! - 1) + 1;
  let done = 0;
  for (const chunk of decoder.decodeVideo(latent, tiling, { seed })) {
    try {
      ctx.check();
      done += chunk.shape[0]!;
      ctx.progress(done, total);
      yield chunk.toFloat32();
    } finally {
      chunk.dispose();
    }
  }
}
