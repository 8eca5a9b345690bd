// Muxes a stereo track into an MP4 as AAC (what upstream's encode_video does with PyAV): the video stream is
// copied untouched, the audio is encoded by ffmpeg's native AAC encoder at the audio's own sample rate. The
// result is written under a temporary name beside `outPath` and renamed into place.
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { AiprodError } from "../native/errors.js";
import { runMediaTool } from "./ffmpeg.js";
import { type PcmAudio, writeWav } from "./wav.js";

export interface MuxOptions {
  /** AAC bit rate, e.g. "192k"; ffmpeg's default when absent. */
  bitrate?: string;
}

/** videoPath's first video stream + `audio` (a WAV path, or PCM samples) → AAC stereo in `outPath` (MP4). */
export function muxAudio(videoPath: string, audio: string | PcmAudio, outPath: string, opts: MuxOptions = {}): void {
  if (typeof audio !== "string" && audio.samples.length !== 2) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.muxAudio: audio must be stereo (2 channels), got ${audio.samples.length}`);
  }
  const work = mkdtempSync(join(tmpdir(), "aiprod-mux-"));
  const tmpOut = join(dirname(outPath), `.${basename(outPath)}.tmp-${process.pid}-${Date.now()}`);
  try {
    let wav = audio as string;
    if (typeof audio !== "string") {
      wav = join(work, "audio.wav");
      writeWav(wav, audio);
    }
    runMediaTool("ffmpeg", [
      "-v", "error", "-nostdin", "-y", "-i", videoPath, "-i", wav,
      "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-ac", "2",
      ...(opts.bitrate ? ["-b:a", opts.bitrate] : []),
      "-f", "mp4", tmpOut,
    ]);
    renameSync(tmpOut, outPath);
  } finally {
    rmSync(tmpOut, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
