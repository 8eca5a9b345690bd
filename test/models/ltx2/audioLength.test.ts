// The audio latent length: upstream's AudioLatentShape.from_video_pixel_shape is round(frames/fps · 25) with
// Python's round (ties to even). The library's public function is the one the pipelines use.
import t from "tap";
import { audioLatentFrames } from "../../../src/index.js";

/** Upstream's arithmetic step by step: duration = frames/fps, latents = duration · (16000/160/4) in doubles (the
 *  same IEEE operations as Python), then round() with ties to even: Math.round moved down on an odd tie. */
function upstreamFrames(frames: number, fps: number): number {
  const x = (frames / fps) * (16000 / 160 / 4);
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

t.test("audioLatentFrames rounds ties to even, as upstream", async (t) => {
  t.equal(audioLatentFrames(9, 50), 4, "9 frames at 50 fps: round(4.5) = 4 (upstream), not 5");
  t.equal(audioLatentFrames(25, 50), 12, "round(12.5) = 12");
  t.equal(audioLatentFrames(121, 24), 126);
  for (const fps of [24, 25, 30, 50, 60]) {
    for (let frames = 1; frames <= 257; frames += 8) {
      t.equal(audioLatentFrames(frames, fps), upstreamFrames(frames, fps), `${frames} frames at ${fps} fps`);
    }
  }
});

t.test("one implementation: the pipelines' module no longer has its own rounding", async (t) => {
  const positions = await import("../../../src/models/ltx2/transformer/positions.js");
  t.notOk("audioLatentFrames" in positions, "transformer/positions.ts exports positions only");
});
