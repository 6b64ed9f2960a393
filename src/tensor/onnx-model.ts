/**
 * ONNX ModelProto in and out: a plain description of a graph (nodes, initializers, typed inputs and
 * outputs, opset, metadata) is encoded with the ONNX schema compiled by the `onnx-proto` package, and
 * loaded into an ONNX Runtime session. The training engine and `policy.onnx` export both go through here.
 */
import onnxProto from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";
import * as ort from "onnxruntime-node";
import { ShapeMismatchError, TetherError } from "../core/errors.js";

/** Element types the engine emits; names follow ONNX Runtime's `Tensor.type`. */
export type DType = "float32" | "float64" | "int64" | "int32" | "bool";

export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** A constant tensor stored in the model (weights, shapes, scalars). */
export interface TensorInit {
  name: string;
  dtype: DType;
  dims: readonly number[];
  data: TypedData;
}

/** A graph input or output: dims are numbers, or strings for symbolic (batch) dimensions. */
export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: readonly (number | string)[];
}

/** Attribute values carry their ONNX kind, because a JS number cannot say whether it is INT or FLOAT. */
export type AttrValue =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { string: string }
  | { tensor: TensorInit };

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Readonly<Record<string, AttrValue>>;
  name?: string;
  domain?: string;
}

export interface ModelSpec {
  graphName: string;
  nodes: readonly NodeSpec[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers?: readonly TensorInit[];
  /** Default-domain opset version; 17 is the oldest the engine and policy export rely on. */
  opset?: number;
  metadata?: Readonly<Record<string, string>>;
  docString?: string;
}

export const DEFAULT_OPSET = 17;
/** IR version 8 is what ONNX 1.10..1.12 write for opset 17; ONNX Runtime 1.30 reads up to 11. */
const IR_VERSION = 8;

// onnx-proto is CommonJS: Node's ESM loader sees only its default export.
const { onnx } = onnxProto;

const ONNX_TYPE: Record<DType, Onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

const ELEMENT_BYTES: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, bool: 1 };

/** Error in a graph the engine or an exporter built: names the graph and the node or value. */
export class OnnxModelError extends TetherError {
  constructor(graph: string, where: string, detail: string, options?: { cause?: unknown }) {
    super("ONNX_MODEL", `ONNX graph ${graph}: ${where}: ${detail}`, { graph, where }, options);
  }
}

function tensorProto(t: TensorInit): Onnx.ITensorProto {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new ShapeMismatchError(`initializer ${t.name} [${t.dims.join(", ")}]`, count, t.data.length);
  }
  // raw_data is little-endian, which every platform Node runs on for typed arrays.
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, count * ELEMENT_BYTES[t.dtype]);
  return { name: t.name, dims: [...t.dims], dataType: ONNX_TYPE[t.dtype], rawData: bytes.slice() };
}

function valueInfo(v: ValueInfo): Onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ONNX_TYPE[v.dtype],
        shape: {
          dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function attribute(name: string, value: AttrValue): Onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if ("int" in value) return { name, type: A.INT, i: value.int };
  if ("float" in value) return { name, type: A.FLOAT, f: value.float };
  if ("ints" in value) return { name, type: A.INTS, ints: [...value.ints] };
  if ("floats" in value) return { name, type: A.FLOATS, floats: [...value.floats] };
  if ("string" in value) return { name, type: A.STRING, s: new TextEncoder().encode(value.string) };
  return { name, type: A.TENSOR, t: tensorProto(value.tensor) };
}

/** Checks that every node input is produced before use, so mistakes surface with a name, not an ORT code. */
function checkTopology(spec: ModelSpec): void {
  const known = new Set<string>([
    ...spec.inputs.map((v) => v.name),
    ...(spec.initializers ?? []).map((t) => t.name),
    "",
  ]);
  spec.nodes.forEach((node, i) => {
    for (const input of node.inputs) {
      if (!known.has(input)) {
        throw new OnnxModelError(
          spec.graphName,
          `node ${i} (${node.op} ${node.name ?? ""})`,
          `input "${input}" is not a graph input, initializer or earlier output`,
        );
      }
    }
    for (const output of node.outputs) known.add(output);
  });
  for (const out of spec.outputs) {
    if (!known.has(out.name)) {
      throw new OnnxModelError(spec.graphName, `output ${out.name}`, "no node produces it");
    }
  }
}

/** Encodes the description as ONNX protobuf bytes (what `policy.onnx` holds and ORT loads). */
export function encodeModel(spec: ModelSpec): Uint8Array {
  checkTopology(spec);
  const model: Onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: "tether",
    opsetImport: [{ domain: "", version: spec.opset ?? DEFAULT_OPSET }],
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    docString: spec.docString ?? "",
    graph: {
      name: spec.graphName,
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? "",
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(tensorProto),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

/** Decodes model bytes back to the protobuf object (tests and `tether export` checks read it). */
export function decodeModel(bytes: Uint8Array): Onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** Reads the metadata_props of encoded model bytes as a plain record. */
export function modelMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of decodeModel(bytes).metadataProps) out[p.key ?? ""] = p.value ?? "";
  return out;
}

export interface SessionOptions {
  /** Execution provider: "cpu" always loads; "cuda" needs the CUDA build of onnxruntime-node. */
  device?: "cpu" | "cuda";
  /** Intra-op threads; undefined lets ORT pick (all physical cores). */
  threads?: number;
}

/** Loads model bytes into an ONNX Runtime session on the chosen device. */
export async function createSession(
  bytes: Uint8Array,
  options: SessionOptions = {},
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: [options.device ?? "cpu"],
    ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
  });
}
