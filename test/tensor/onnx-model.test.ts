import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  createSession,
  decodeModel,
  encodeModel,
  modelMetadata,
  OnnxModelError,
  type ModelSpec,
} from "../../src/tensor/onnx-model.js";

// y = relu(x W + b) * scale, with W [3, 2] and a symbolic batch dimension.
const W = Float32Array.from([0.5, -1, 2, 0.25, -0.75, 1.5]);
const B = Float32Array.from([0.1, -0.2]);
const spec: ModelSpec = {
  graphName: "dense",
  inputs: [{ name: "observation", dtype: "float32", shape: ["N", 3] }],
  outputs: [{ name: "action", dtype: "float32", shape: ["N", 2] }],
  initializers: [
    { name: "W", dtype: "float32", dims: [3, 2], data: W },
    { name: "b", dtype: "float32", dims: [2], data: B },
  ],
  nodes: [
    { op: "Gemm", inputs: ["observation", "W", "b"], outputs: ["h"], attrs: { alpha: { float: 1 } } },
    { op: "Relu", inputs: ["h"], outputs: ["r"] },
    {
      op: "Constant",
      inputs: [],
      outputs: ["scale"],
      attrs: { value: { tensor: { name: "s", dtype: "float32", dims: [], data: Float32Array.of(3) } } },
    },
    { op: "Mul", inputs: ["r", "scale"], outputs: ["action"] },
  ],
  metadata: { robot: "reacher2", algorithm: "iql" },
};

function reference(x: Float32Array, n: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < 2; c++) {
      let s = B[c];
      for (let k = 0; k < 3; k++) s += x[r * 3 + k] * W[k * 2 + c];
      out.push(Math.max(0, s) * 3);
    }
  }
  return out;
}

describe("ONNX model encoding", () => {
  it("ONNX Runtime loads the encoded model and computes the graph it describes", async () => {
    const bytes = encodeModel(spec);
    const session = await createSession(bytes, { threads: 1 });
    expect(session.inputNames).toEqual(["observation"]);
    expect(session.outputNames).toEqual(["action"]);
    for (const n of [1, 4]) {
      const x = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 1.7) * 2);
      const out = await session.run({ observation: new ort.Tensor("float32", x, [n, 3]) });
      expect(out.action.dims).toEqual([n, 2]);
      const got = Array.from(out.action.data as Float32Array);
      reference(x, n).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    }
    await session.release();
  });

  it("keeps opset, IR version, metadata and symbolic dims in the protobuf", () => {
    const bytes = encodeModel({ ...spec, opset: 18 });
    const model = decodeModel(bytes);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 18]]);
    expect(Number(model.irVersion)).toBe(8);
    expect(modelMetadata(bytes)).toEqual({ robot: "reacher2", algorithm: "iql" });
    const dims = model.graph?.input?.[0].type?.tensorType?.shape?.dim ?? [];
    expect(dims.map((d) => d.dimParam || Number(d.dimValue))).toEqual(["N", 3]);
  });

  it("stores float64 and int64 initializers bit for bit", async () => {
    const d = Float64Array.of(1 / 3, -2e-300, 7);
    const bytes = encodeModel({
      graphName: "consts",
      inputs: [{ name: "x", dtype: "float64", shape: [3] }],
      outputs: [
        { name: "y", dtype: "float64", shape: [3] },
        { name: "shape", dtype: "int64", shape: [2] },
      ],
      initializers: [
        { name: "d", dtype: "float64", dims: [3], data: d },
        { name: "i", dtype: "int64", dims: [2], data: BigInt64Array.of(-5n, 1n << 40n) },
      ],
      nodes: [
        { op: "Add", inputs: ["x", "d"], outputs: ["y"] },
        { op: "Identity", inputs: ["i"], outputs: ["shape"] },
      ],
    });
    const session = await createSession(bytes);
    const out = await session.run({ x: new ort.Tensor("float64", new Float64Array(3), [3]) });
    expect(Array.from(out.y.data as Float64Array)).toEqual(Array.from(d));
    expect(Array.from(out.shape.data as BigInt64Array)).toEqual([-5n, 1n << 40n]);
  });

  it("rejects a node that reads a value nobody produced, naming the node and the value", () => {
    const bad: ModelSpec = { ...spec, nodes: [{ op: "Relu", inputs: ["nope"], outputs: ["action"] }] };
    expect(() => encodeModel(bad)).toThrow(OnnxModelError);
    expect(() => encodeModel(bad)).toThrow('ONNX graph dense: node 0 (Relu ): input "nope" is not');
  });

  it("rejects an initializer whose data does not fill its dims", () => {
    const bad: ModelSpec = {
      ...spec,
      initializers: [
        { name: "W", dtype: "float32", dims: [3, 3], data: W },
        { name: "b", dtype: "float32", dims: [2], data: B },
      ],
    };
    expect(() => encodeModel(bad)).toThrow("initializer W [3, 3]: expected 9, got 6");
  });
});
