// Stage: frames (+ audio) → MP4 (H.264 CRF 19 yuv420p BT.709, AAC), optionally PNG frames too.
import { encodeVideo, toRgb24 } from "../../media/encodeVideo.js";
import { PngFrameWriter } from "../../media/pngFrames.js";
import type { PcmAudio } from "../../media/wav.js";

export async function encodeMedia(frames: Iterable<Float32Array>, o: { output: string; width: number; height: number; fps: number; audio?: PcmAudio; pngFramesDir?: string }): Promise<number> {
  const png = o.pngFramesDir ? new PngFrameWriter(o.pngFramesDir, o.width, o.height) : undefined;
  async function* tee(): AsyncGenerator<Float32Array> {
    for (const chunk of frames) {
      if (png) await png.add(toRgb24(chunk));
      yield chunk;
    }
  }
  try {
    const n = await encodeVideo(tee(), o.output, { width: o.width, height: o.height, fps: o.fps, ...(o.audio ? { audio: o.audio } : {}) });
    png?.finish();
    return n;
  } catch (e) {
    png?.abort();
    throw e;
  }
}
