// A minimal protobuf wire-format writer: just what encoding ONNX models needs (varints, length-delimited
// fields, packed repeated scalars, 32-bit floats). Messages are built bottom-up: encode a child to bytes, then
// write it as a length-delimited field of its parent. Chunks are concatenated once, at finish(), so large
// initializers (tens of MiB of raw_data) are copied only once more.

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #pending: number[] = []; // small writes gather here before becoming a chunk
  #length = 0;

  #byte(b: number): void {
    this.#pending.push(b);
    this.#length++;
  }

  #flushPending(): void {
    if (this.#pending.length > 0) {
      this.#chunks.push(Uint8Array.from(this.#pending));
      this.#pending = [];
    }
  }

  /** Unsigned varint; negative int64 values use the 10-byte two's complement form, as protobuf requires. */
  #varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.#byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#byte(Number(v));
  }

  #tag(field: number, wire: number): void {
    this.#varint((field << 3) | wire);
  }

  /** int32/int64/enum/bool field (always written, even when zero: ONNX readers accept that). */
  int(field: number, value: number | bigint): this {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new RangeError(`protobuf: field ${field}: ${value} is not an integer`);
    this.#tag(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.#tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    for (const x of b) this.#byte(x);
    return this;
  }

  /** bytes field, or an already-encoded sub-message. Large payloads are kept by reference, not copied. */
  bytes(field: number, data: Uint8Array): this {
    this.#tag(field, WIRE_LEN);
    this.#varint(data.length);
    if (data.length < 256) {
      for (const x of data) this.#byte(x);
    } else {
      this.#flushPending();
      this.#chunks.push(data);
      this.#length += data.length;
    }
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, encoded: Uint8Array): this {
    return this.bytes(field, encoded);
  }

  /** Packed repeated int64/int32 (one length-delimited field holding the varints). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.#varint(v);
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated float. */
  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    this.#flushPending();
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
