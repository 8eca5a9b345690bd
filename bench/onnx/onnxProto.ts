// Encodes the few ONNX messages the benchmark models need: ModelProto, GraphProto, NodeProto, AttributeProto,
// ValueInfoProto (with TypeProto/TensorShapeProto) and TensorProto. Field numbers are those of onnx.proto3;
// no Python onnx package is available here, and the models are built in memory for InferenceSession.create.
import { ProtoWriter } from "./protobuf.js";

/** TensorProto.DataType values used here. */
export const ElemType = { FLOAT: 1, FLOAT16: 10, BFLOAT16: 16 } as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

/** IR version 8 goes with opset 17 (ONNX 1.12); every onnxruntime since 1.12 reads it. */
export const IR_VERSION = 8;
export const DEFAULT_OPSET = 17;
export const MS_DOMAIN = "com.microsoft";

export type AttributeValue =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { string: string };

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface ValueInfoSpec {
  name: string;
  elemType: ElemType;
  dims: readonly number[];
}

export interface TensorSpec {
  name: string;
  elemType: ElemType;
  dims: readonly number[];
  /** Little-endian element bytes (TensorProto.raw_data). */
  raw: Uint8Array;
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
  initializers?: readonly TensorSpec[];
}

export interface ModelSpec {
  graph: GraphSpec;
  /** Extra operator sets, e.g. { domain: "com.microsoft", version: 1 }; the default domain at opset 17 is always there. */
  extraOpsets?: readonly { domain: string; version: number }[];
  producer?: string;
}

// AttributeProto: name=1 f=2 i=3 s=4 floats=7 ints=8 type=20; AttributeType FLOAT=1 INT=2 STRING=3 INTS=7.
function encodeAttribute(name: string, value: AttributeValue): Uint8Array {
  const w = new ProtoWriter().string(1, name);
  if ("int" in value) return w.int(3, value.int).int(20, 2).finish();
  if ("float" in value) return w.float(2, value.float).int(20, 1).finish();
  if ("ints" in value) return w.packedInts(8, value.ints).int(20, 7).finish();
  return w.string(4, value.string).int(20, 3).finish();
}

// NodeProto: input=1 output=2 name=3 op_type=4 attribute=5 domain=7.
function encodeNode(node: NodeSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  if (node.name) w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(name, value));
  if (node.domain) w.string(7, node.domain);
  return w.finish();
}

// ValueInfoProto: name=1 type=2. TypeProto: tensor_type=1. TypeProto.Tensor: elem_type=1 shape=2.
// TensorShapeProto: dim=1. Dimension: dim_value=1.
function encodeValueInfo(v: ValueInfoSpec): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of v.dims) shape.message(1, new ProtoWriter().int(1, d).finish());
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape.finish()).finish();
  const type = new ProtoWriter().message(1, tensorType).finish();
  return new ProtoWriter().string(1, v.name).message(2, type).finish();
}

// TensorProto: dims=1 data_type=2 name=8 raw_data=9.
function encodeTensor(t: TensorSpec): Uint8Array {
  const bytesPerElem = t.elemType === ElemType.FLOAT ? 4 : 2;
  const numel = t.dims.reduce((n, d) => n * d, 1);
  if (t.raw.length !== numel * bytesPerElem) {
    throw new RangeError(`onnx: initializer ${t.name}: ${t.raw.length} bytes for dims [${t.dims.join(",")}] (want ${numel * bytesPerElem})`);
  }
  return new ProtoWriter().packedInts(1, t.dims).int(2, t.elemType).string(8, t.name).bytes(9, t.raw).finish();
}

// GraphProto: node=1 name=2 initializer=5 input=11 output=12.
function encodeGraph(g: GraphSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers ?? []) w.message(5, encodeTensor(t));
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  return w.finish();
}

// OperatorSetIdProto: domain=1 version=2.
function encodeOpset(domain: string, version: number): Uint8Array {
  const w = new ProtoWriter();
  if (domain) w.string(1, domain);
  return w.int(2, version).finish();
}

// ModelProto: ir_version=1 producer_name=2 graph=7 opset_import=8.
export function encodeModel(model: ModelSpec): Uint8Array {
  const w = new ProtoWriter().int(1, IR_VERSION).string(2, model.producer ?? "aiprod-bench");
  w.message(7, encodeGraph(model.graph));
  w.message(8, encodeOpset("", DEFAULT_OPSET));
  for (const o of model.extraOpsets ?? []) w.message(8, encodeOpset(o.domain, o.version));
  return w.finish();
}

/** The bytes of a Float32Array as raw_data (little-endian: every platform Node.js runs on here). */
export function f32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** bf16 bits as raw_data. */
export function u16Bytes(bits: Uint16Array): Uint8Array {
  return new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
}
