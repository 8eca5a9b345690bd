// AAC muxing end to end: ffmpeg makes a short H.264 clip (lavfi testsrc), we mux a decoded tiny-model waveform
// fitted to the clip's duration, and ffprobe checks the result. Skipped (with the reason) when no ffmpeg or
// ffprobe can be found, e.g. on a platform without the optional packaged binaries.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { findMediaTool, probeMedia, runMediaTool } from "../../src/media/ffmpeg.js";
import { muxAudio } from "../../src/media/mux.js";
import { writeWav } from "../../src/media/wav.js";
import { audioLatentFrames } from "../../src/models/ltx2/audio/duration.js";
import { decodeAudioForVideo, loadAudioDecoder, loadVocoder } from "../../src/models/ltx2/audio/load.js";
import { GaussianGenerator } from "../../src/models/ltx2/components/noisers.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { tinyAudio } from "../helpers/tinyAudio.js";

let missing: string | undefined;
try {
  findMediaTool("ffmpeg");
  findMediaTool("ffprobe");
} catch (e) {
  missing = (e as Error).message;
}

t.test("decoded audio muxed as AAC stereo matches the video's duration", { skip: missing }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-mux-test-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const frames = 25, fps = 24;
  const video = join(dir, "video.mp4");
  runMediaTool("ffmpeg", ["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", `testsrc=size=64x64:rate=${fps}`,
    "-frames:v", String(frames), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", video]);

  const tiny = tinyAudio({ seed: 5 });
  t.teardown(() => tiny.close());
  const decoder = loadAudioDecoder(tiny.file), vocoder = loadVocoder(tiny.file);
  const T = audioLatentFrames(frames, fps);
  using latent = Tensor.from(Float32Array.from(new GaussianGenerator(9).normal(2 * T * 16)), [1, 2, T, 16], "f32");
  const [wave] = decodeAudioForVideo(latent, decoder, vocoder, frames, fps);
  decoder[Symbol.dispose]();
  vocoder[Symbol.dispose]();

  const out = join(dir, "out.mp4");
  muxAudio(video, wave!, out);
  t.same(readdirSync(dir).sort(), ["out.mp4", "video.mp4"], "no temporary files left");
  const { streams } = probeMedia(out);
  const v = streams.find((s) => s.codec_type === "video");
  const a = streams.find((s) => s.codec_type === "audio");
  t.equal(v?.codec_name, "h264", "video stream copied");
  t.equal(a?.codec_name, "aac");
  t.equal(a?.channels, 2, "stereo");
  t.equal(Number(a?.sample_rate), 24000);
  const vd = Number(v!.duration), ad = Number(a!.duration);
  const aacFrame = 1024 / 24000;
  t.ok(Math.abs(vd - frames / fps) < 1e-3, `video lasts ${vd}s`);
  t.ok(Math.abs(ad - vd) <= aacFrame, `audio ${ad}s vs video ${vd}s: within one AAC frame (${aacFrame.toFixed(4)}s)`);

  // Muxing from a WAV path gives the same streams; a mono PCM input is refused.
  const wav = join(dir, "a.wav");
  writeWav(wav, wave!);
  const out2 = join(dir, "out2.mp4");
  muxAudio(video, wav, out2);
  t.equal(probeMedia(out2).streams.find((s) => s.codec_type === "audio")?.channels, 2);
  t.throws(() => muxAudio(video, { samples: [wave!.samples[0]!], sampleRate: 24000 }, out2), /must be stereo/);
  t.throws(() => muxAudio(join(dir, "nope.mp4"), wave!, join(dir, "x.mp4")), { code: "ERR_AIPROD_FFMPEG_FAILED" });
  t.notOk(readdirSync(dir).some((f) => f.includes(".tmp-")), "a failed mux leaves no temporary file");
});

t.test("an explicit AIPROD_FFPROBE that is not executable is an error naming it", async (t) => {
  const saved = process.env.AIPROD_FFPROBE;
  process.env.AIPROD_FFPROBE = "/nonexistent/ffprobe";
  t.teardown(() => {
    if (saved === undefined) delete process.env.AIPROD_FFPROBE;
    else process.env.AIPROD_FFPROBE = saved;
  });
  t.throws(() => findMediaTool("ffprobe"), { code: "ERR_AIPROD_FFMPEG_NOT_FOUND", message: /AIPROD_FFPROBE='\/nonexistent\/ffprobe'/ });
});
