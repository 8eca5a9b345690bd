// A tiny audio checkpoint in a temporary folder, plus float64 views of its weights for the reference.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SafetensorsFile } from "../../src/checkpoint/safetensors.js";
import { type TinyAudioOptions, writeTinyAudioCheckpoint } from "../../src/models/ltx2/audio/tinyAudio.js";
import type { Tensor } from "../../src/runtime/tensor.js";
import { type Arr, arr, type Weights } from "../reference/ltx2Audio.js";

export interface TinyAudio {
  dir: string;
  path: string;
  file: SafetensorsFile;
  /** Float64 copy of a weight under `prefix`. */
  weights(prefix: string): Weights;
  close(): void;
}

export function tinyAudio(opts: TinyAudioOptions & { seed?: number } = {}): TinyAudio {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-audio-test-"));
  const path = join(dir, "tiny-audio.safetensors");
  writeTinyAudioCheckpoint(path, opts);
  const file = SafetensorsFile.open(path);
  return {
    dir, path, file,
    weights: (prefix) => (key) => {
      using t = file.tensor(prefix + key);
      return arr(t.toFloat32(), t.shape);
    },
    close() {
      file.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A tensor's values as a float64 Arr. */
export function toArr(t: Tensor): Arr {
  return arr(t.toFloat32(), t.shape);
}

/** max |got − want| / max |want|: rounding of f32 compute measured against the largest value of the output. */
export function relMaxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let err = 0, mag = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    err = Number.isNaN(e) ? Infinity : Math.max(err, e);
    mag = Math.max(mag, Math.abs(want[i]!));
  }
  return err / mag;
}
