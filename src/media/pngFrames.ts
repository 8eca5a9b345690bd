// Optional PNG frames (frame_00000.png, …) of a generated video, written with sharp into a folder that is
// created complete under a temporary name and then renamed into place.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { AiprodError } from "../native/errors.js";

export class PngFrameWriter {
  readonly #tmp: string;
  #index = 0;

  constructor(readonly dir: string, readonly width: number, readonly height: number) {
    if (existsSync(dir)) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.media: PNG frame folder '${dir}' already exists; choose a new one`);
    this.#tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
    mkdirSync(this.#tmp, { recursive: true });
  }

  /** Writes every frame of an RGB24 chunk. */
  async add(rgb: Uint8Array): Promise<void> {
    const { default: sharp } = await import("sharp");
    const size = this.width * this.height * 3;
    for (let o = 0; o < rgb.length; o += size) {
      const name = join(this.#tmp, `frame_${String(this.#index++).padStart(5, "0")}.png`);
      await sharp(rgb.subarray(o, o + size), { raw: { width: this.width, height: this.height, channels: 3 } }).png().toFile(name);
    }
  }

  finish(): number {
    renameSync(this.#tmp, this.dir);
    return this.#index;
  }

  abort(): void {
    rmSync(this.#tmp, { recursive: true, force: true });
  }
}
