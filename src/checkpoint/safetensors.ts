// Safetensors reader: the header is read and validated in TypeScript (every malformed file is an AiprodError
// ERR_AIPROD_BAD_FILE naming the file and the problem, never a crash), then the tensors are views of one
// copy-on-write mapping of the file (src/runtime/mappedFile.ts), in their stored dtype.
// Format: u64 little-endian header length N, N bytes of JSON {"__metadata__": {string: string}, key: {dtype,
// shape, data_offsets: [begin, end]}}, then the data; offsets are relative to the end of the header.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { AiprodError } from "../native/errors.js";
import type { DType } from "../runtime/dtype.js";
import { dtypeSize } from "../runtime/dtype.js";
import { mapFileTensors } from "../runtime/mappedFile.js";
import { toDefaultDevice } from "../runtime/device.js";
import { reshape } from "../runtime/shape.js";
import type { Tensor } from "../runtime/tensor.js";

/** Same limit as the reference implementation: a larger header is a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** safetensors dtype names the engine computes with, and their engine dtypes. */
const SUPPORTED: Record<string, DType> = { F32: "f32", BF16: "bf16", F16: "f16", F8_E4M3: "f8e4m3" };
/** Valid safetensors dtypes the engine cannot compute with: the file opens, reading such a tensor fails. */
const KNOWN_UNSUPPORTED: Record<string, number> = {
  F64: 8, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1, F8_E5M2: 1,
};

export interface TensorInfo {
  /** The file's dtype name (e.g. "BF16"). */
  readonly fileDType: string;
  /** The engine dtype, or undefined when the engine cannot compute with the file's dtype. */
  readonly dtype: DType | undefined;
  readonly shape: readonly number[];
  /** Absolute byte offset in the file. */
  readonly offset: number;
  readonly byteLength: number;
}

/** What model code reads weights from: a file, or a prefix view of one. */
export interface WeightSource {
  /** A label for errors: the file path and the prefix. */
  readonly name: string;
  keys(): string[];
  has(key: string): boolean;
  info(key: string): TensorInfo;
  /** A new view of the weight (dispose it when done; the file keeps its own). */
  tensor(key: string): Tensor;
  /** The keys under `prefix`, with the prefix removed. */
  view(prefix: string): WeightSource;
}

function badFile(path: string, problem: string): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.safetensors: '${path}' ${problem}`);
}

function missingKey(name: string, key: string): AiprodError {
  return new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `aiprod.safetensors: ${name} has no tensor '${key}'`);
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

interface ParsedHeader {
  metadata: Record<string, string>;
  tensors: Map<string, TensorInfo>;
}

/** Parses and validates the header of a file of `fileSize` bytes (exported for the fuzz tests). */
export function parseHeader(path: string, head: Buffer, fileSize: number, readJson: (n: number) => Buffer): ParsedHeader {
  if (fileSize < 8 || head.length < 8) throw badFile(path, `is ${fileSize} bytes long: too short for a safetensors header`);
  const n = head.readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES)) throw badFile(path, `declares a ${n}-byte header; the limit is ${MAX_HEADER_BYTES}`);
  const headerBytes = Number(n);
  if (8 + headerBytes > fileSize) throw badFile(path, `is truncated: the header needs ${8 + headerBytes} bytes, the file has ${fileSize}`);
  const raw = readJson(headerBytes);
  if (raw.length !== headerBytes) throw badFile(path, "is truncated inside its header");
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch (e) {
    throw badFile(path, `has a header that is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw badFile(path, "has a header that is not a JSON object");
  const dataStart = 8 + headerBytes;
  const dataLength = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  const ranges: [number, number, string][] = [];
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw badFile(path, "has a __metadata__ that is not an object");
      for (const [mk, mv] of Object.entries(value as Record<string, unknown>)) {
        if (typeof mv !== "string") throw badFile(path, `has a non-string __metadata__ value for '${mk}'`);
        metadata[mk] = mv;
      }
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof entry !== "object" || entry === null) throw badFile(path, `has an entry '${key}' that is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== "string") throw badFile(path, `has no dtype for '${key}'`);
    const elem = SUPPORTED[dtype] ? dtypeSize(SUPPORTED[dtype]) : KNOWN_UNSUPPORTED[dtype];
    if (elem === undefined) throw badFile(path, `has an unknown dtype '${dtype}' for '${key}'`);
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw badFile(path, `has an invalid shape ${JSON.stringify(shape)} for '${key}'`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw badFile(path, `has invalid data_offsets ${JSON.stringify(offsets)} for '${key}'`);
    }
    const [begin, end] = offsets as [number, number];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== numel * elem) {
      throw badFile(path, `has data_offsets [${begin}, ${end}] for '${key}' (${dtype}[${shape.join(",")}]) that hold ${end - begin} bytes instead of ${numel * elem}`);
    }
    if (end > dataLength) throw badFile(path, `is truncated: '${key}' ends at data byte ${end}, the data section has ${dataLength} bytes`);
    ranges.push([begin, end, key]);
    tensors.set(key, { fileDType: dtype, dtype: SUPPORTED[dtype], shape: shape as number[], offset: dataStart + begin, byteLength: end - begin });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) throw badFile(path, `has overlapping tensors '${ranges[i - 1]![2]}' and '${ranges[i]![2]}'`);
  }
  return { metadata, tensors };
}

/** An open checkpoint. Dispose it when done (views already handed out stay valid). */
export class SafetensorsFile implements WeightSource, Disposable {
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly #tensors: Map<string, TensorInfo>;
  #mapped: Map<string, Tensor> | undefined;

  private constructor(path: string, header: ParsedHeader) {
    this.path = path;
    this.metadata = header.metadata;
    this.#tensors = header.tensors;
  }

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.safetensors: cannot open '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const size = fstatSync(fd).size;
      const header = parseHeader(path, readExactly(fd, 8, 0), size, (n) => readExactly(fd, n, 8));
      return new SafetensorsFile(path, header);
    } finally {
      closeSync(fd);
    }
  }

  get name(): string {
    return `'${this.path}'`;
  }

  /** `__metadata__.config` parsed as JSON (undefined when absent). */
  get config(): Record<string, unknown> | undefined {
    const text = this.metadata.config;
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw badFile(this.path, `has a __metadata__.config that is not valid JSON (${(e as Error).message})`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw badFile(this.path, "has a __metadata__.config that is not a JSON object");
    return parsed as Record<string, unknown>;
  }

  /** `__metadata__.model_version`; files without it are LTX-2.0. */
  get modelVersion(): string {
    return this.metadata.model_version ?? "2.0";
  }

  keys(): string[] {
    return [...this.#tensors.keys()];
  }

  has(key: string): boolean {
    return this.#tensors.has(key);
  }

  info(key: string): TensorInfo {
    const info = this.#tensors.get(key);
    if (!info) throw missingKey(this.name, key);
    return info;
  }

  tensor(key: string): Tensor {
    const info = this.info(key);
    if (!info.dtype) {
      throw new AiprodError("ERR_AIPROD_UNSUPPORTED_DTYPE", `aiprod.safetensors: '${key}' in '${this.path}' is ${info.fileDType}; the engine reads F32, BF16, F16 and F8_E4M3`);
    }
    if (!this.#mapped) {
      // One mapping for every tensor of the file, made on first use.
      const entries = [...this.#tensors].filter(([, i]) => i.dtype);
      const views = mapFileTensors(this.path, entries.map(([, i]) => ({ offset: i.offset, dtype: i.dtype!, shape: i.shape })));
      this.#mapped = new Map(entries.map(([k], j) => [k, views[j]!]));
    }
    // On the default device: under withDevice("cuda") weights are copied to the device as the model loads them.
    return toDefaultDevice(reshape(this.#mapped.get(key)!, info.shape));
  }

  view(prefix: string): WeightSource {
    return new PrefixView(this, prefix);
  }

  /** Drops the file's own views; the mapping goes when the views handed out are disposed too. */
  dispose(): void {
    for (const t of this.#mapped?.values() ?? []) t.dispose();
    this.#mapped = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The keys of `base` under `prefix`, with the prefix removed (any WeightSource). */
export class PrefixView implements WeightSource {
  constructor(readonly base: WeightSource, readonly prefix: string) {}

  get name(): string {
    return `${this.base.name} under '${this.prefix}'`;
  }

  keys(): string[] {
    return this.base.keys().filter((k) => k.startsWith(this.prefix)).map((k) => k.slice(this.prefix.length));
  }

  has(key: string): boolean {
    return this.base.has(this.prefix + key);
  }

  info(key: string): TensorInfo {
    if (!this.has(key)) throw missingKey(this.name, key);
    return this.base.info(this.prefix + key);
  }

  tensor(key: string): Tensor {
    if (!this.has(key)) throw missingKey(this.name, key);
    return this.base.tensor(this.prefix + key);
  }

  view(prefix: string): WeightSource {
    return new PrefixView(this.base, this.prefix + prefix);
  }
}
