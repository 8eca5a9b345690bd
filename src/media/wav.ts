// 16-bit PCM WAV (RIFF) encoding/decoding. Samples are converted as upstream's muxer does before AAC
// encoding (`audio_mux.write_audio`): clip to [−1, 1], scale by 32767, truncate toward zero (torch's
// float→int16 cast). Files are written to a temporary name and renamed, so readers never see half a file.
import { writeAll, writeAtomically } from "../util/atomicWrite.js";
import { AiprodError } from "../native/errors.js";

export interface PcmAudio {
  /** One Float32Array per channel, all the same length. */
  samples: Float32Array[];
  sampleRate: number;
}

const HEADER_BYTES = 44;

function invalid(fn: string, problem: string): AiprodError {
  return new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.${fn}: ${problem}`);
}

/** float → int16 as upstream: NaN becomes 0 (torch's cast of a NaN is unspecified; silence is the safe choice). */
export function toInt16(v: number): number {
  if (Number.isNaN(v)) return 0;
  return Math.trunc(Math.min(1, Math.max(-1, v)) * 32767);
}

function checkPcm(a: PcmAudio, fn: string): number {
  if (!Array.isArray(a.samples) || a.samples.length < 1 || a.samples.length > 16) throw invalid(fn, `need 1 to 16 channels, got ${a.samples?.length}`);
  const n = a.samples[0]!.length;
  if (a.samples.some((c) => !(c instanceof Float32Array) || c.length !== n)) throw invalid(fn, `every channel must be a Float32Array of ${n} samples`);
  if (!Number.isSafeInteger(a.sampleRate) || a.sampleRate < 1 || a.sampleRate > 1_000_000) throw invalid(fn, `bad sample rate ${a.sampleRate}`);
  if (HEADER_BYTES - 8 + n * a.samples.length * 2 > 0xffffffff) throw invalid(fn, "audio too long for a RIFF file (4 GiB)");
  return n;
}

/** The complete WAV file: RIFF/WAVE, "fmt " PCM (format 1) 16-bit, "data" interleaved little-endian. */
export function encodeWav(a: PcmAudio): Buffer {
  const n = checkPcm(a, "encodeWav");
  const ch = a.samples.length;
  const dataBytes = n * ch * 2;
  const buf = Buffer.alloc(HEADER_BYTES + dataBytes);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(HEADER_BYTES - 8 + dataBytes, 4);
  buf.write("WAVE", 8, "ascii");
  buf.write("fmt ", 12, "ascii");
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(ch, 22);
  buf.writeUInt32LE(a.sampleRate, 24);
  buf.writeUInt32LE(a.sampleRate * ch * 2, 28);
  buf.writeUInt16LE(ch * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(dataBytes, 40);
  let o = HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < ch; c++, o += 2) buf.writeInt16LE(toInt16(a.samples[c]![i]!), o);
  }
  return buf;
}

export interface DecodedWav {
  sampleRate: number;
  channels: number;
  /** int16 values per channel. */
  pcm: Int16Array[];
}

/** Parses a 16-bit PCM WAV (skipping chunks other than "fmt " and "data"). */
export function decodeWav(buf: Buffer): DecodedWav {
  const fail = (why: string) => new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.decodeWav: ${why}`);
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") throw fail("not a RIFF/WAVE file");
  let pos = 12, fmt: { channels: number; rate: number; bits: number; format: number } | undefined;
  while (pos + 8 <= buf.length) {
    const id = buf.toString("ascii", pos, pos + 4), size = buf.readUInt32LE(pos + 4), body = pos + 8;
    if (body + size > buf.length) throw fail(`chunk '${id}' runs past the end of the file`);
    if (id === "fmt ") {
      if (size < 16) throw fail("'fmt ' chunk is too short");
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === "data") {
      if (!fmt) throw fail("'data' before 'fmt '");
      if (fmt.format !== 1 || fmt.bits !== 16 || fmt.channels < 1) throw fail(`only 16-bit PCM is supported (format ${fmt.format}, ${fmt.bits} bits, ${fmt.channels} channels)`);
      const frames = Math.floor(size / (2 * fmt.channels));
      const pcm = Array.from({ length: fmt.channels }, () => new Int16Array(frames));
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < fmt.channels; c++) pcm[c]![i] = buf.readInt16LE(body + (i * fmt.channels + c) * 2);
      }
      return { sampleRate: fmt.rate, channels: fmt.channels, pcm };
    }
    pos = body + size + (size & 1);
  }
  throw fail("no 'data' chunk");
}

/** Writes `buf` to `path` via a temporary file in the same directory and a rename. */
export function writeFileAtomic(path: string, buf: Uint8Array): void {
  writeAtomically(path, (fd) => writeAll(fd, buf));
}

/** encodeWav + atomic write. */
export function writeWav(path: string, a: PcmAudio): void {
  writeFileAtomic(path, encodeWav(a));
}
