/**
 * The package's actor as an ONNX graph (`policy.onnx`): what `PolicyRunner.act` followed by the scaling to
 * actuator units computes, for a batch. Input `observation` [N, obs] float32 (raw, unnormalized), output
 * `action` [N, act] float32 in actuator units. Names, bounds and provenance go in the metadata.
 *
 * This file only describes the graph as plain float32 data; serializing it to protobuf is the engine's job
 * (src/tensor/onnx-model.ts), which policy/ may not import: src/rl/policy-onnx.ts joins the two.
 */
import type { PolicyKind } from "./manifest.js";
import type { DenseLayerWeights } from "./network.js";
import type { PolicyPackage } from "./package.js";

/** ONNX Runtime 1.30 runs it and Debian 12's python3-onnx (1.12, opset <= 17) checks it. */
export const POLICY_ONNX_OPSET = 17;
export const POLICY_ONNX_INPUT = "observation";
export const POLICY_ONNX_OUTPUT = "action";

/** A float32 value of the graph; a string dimension is symbolic (the batch size). */
export interface OnnxValueSpec {
  name: string;
  shape: (number | string)[];
}

/** A float32 constant; `dims` [] is a scalar. */
export interface OnnxInitializerSpec {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** One node in the default ONNX domain (no attributes: every op used here takes its operands as inputs). */
export interface OnnxNodeSpec {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
}

export interface OnnxGraphSpec {
  name: string;
  doc: string;
  opset: number;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
  initializers: OnnxInitializerSpec[];
  nodes: OnnxNodeSpec[];
  /** ModelProto.metadata_props. */
  metadata: Record<string, string>;
}

/** The actor, from a loaded package (manifest for normalization, bounds and metadata). */
export function actorGraph(pkg: Pick<PolicyPackage, "manifest" | "policyLayers">): OnnxGraphSpec {
  const m = pkg.manifest;
  const actDim = m.action.dim;
  const kind: PolicyKind = m.policy.kind;
  const initializers: OnnxInitializerSpec[] = [];
  const nodes: OnnxNodeSpec[] = [];
  const constant = (name: string, data: ArrayLike<number>, dims = [data.length]): string => {
    initializers.push({ name, dims, data: Float32Array.from(data) });
    return name;
  };
  const node = (op: string, name: string, inputs: string[]): string => {
    nodes.push({ op, name, inputs, outputs: [name] });
    return name;
  };

  // Normalization exactly as PolicyRunner.normalize: (obs - mean) * (1 / std).
  const invStd = m.observation.std.map((s) => 1 / s);
  let x = node("Sub", "obs_centered", [POLICY_ONNX_INPUT, constant("obs_mean", m.observation.mean)]);
  x = node("Mul", "obs_normalized", [x, constant("obs_inv_std", invStd)]);

  const layers = headLayers(pkg.policyLayers, kind, actDim);
  layers.forEach((l, i) => {
    const w = constant(`layer${i}.weight`, l.weight, [l.inDim, l.outDim]);
    const b = constant(`layer${i}.bias`, l.bias);
    x = node("Gemm", `layer${i}.linear`, [x, w, b]);
    if (l.activation === "relu") x = node("Relu", `layer${i}.relu`, [x]);
    else if (l.activation === "tanh") x = node("Tanh", `layer${i}.tanh`, [x]);
  });

  // The deterministic action in [-1, 1], as PolicyRunner.act: tanh of the mean, or a clip.
  if (kind === "tanh-gaussian") {
    x = node("Tanh", "action_normalized", [x]);
  } else {
    x = node("Clip", "action_normalized", [
      x,
      constant("clip_low", [-1], []),
      constant("clip_high", [1], []),
    ]);
  }

  // [-1, 1] onto [low, high] (scaleToRange in src/robot/task-functions.ts): mid + x * half_range.
  const { low, high } = m.action;
  const halfRange = low.map((lo, i) => (high[i] - lo) / 2);
  const mid = low.map((lo, i) => (high[i] + lo) / 2);
  x = node("Mul", "action_offset", [x, constant("action_half_range", halfRange)]);
  nodes.push({
    op: "Add",
    name: POLICY_ONNX_OUTPUT,
    inputs: [x, constant("action_mid", mid)],
    outputs: [POLICY_ONNX_OUTPUT],
  });

  return {
    name: `${m.robot}_${m.provenance.algorithm}_actor`,
    doc:
      `Tether policy for robot ${m.robot} (${m.provenance.algorithm}, ${kind} actor): raw observation -> ` +
      `deterministic action in actuator units. The metadata names the observation and action columns.`,
    opset: POLICY_ONNX_OPSET,
    inputs: [{ name: POLICY_ONNX_INPUT, shape: ["N", m.observation.dim] }],
    outputs: [{ name: POLICY_ONNX_OUTPUT, shape: ["N", actDim] }],
    initializers,
    nodes,
    metadata: {
      robot: m.robot,
      observation_names: JSON.stringify(m.observation.names),
      action_names: JSON.stringify(m.action.names),
      dataset_hash: m.provenance.dataset_hash,
      algorithm: m.provenance.algorithm,
      policy_kind: kind,
      action_low: JSON.stringify(low),
      action_high: JSON.stringify(high),
      code_version: m.provenance.code_version,
    },
  };
}

/**
 * The layers that compute the deterministic action. Gaussian actors output [mean, log_std]: the last layer
 * keeps only its mean columns (activations are elementwise, so this is the same mean, and the graph does
 * not compute a log_std nobody reads).
 */
function headLayers(
  layers: readonly DenseLayerWeights[],
  kind: PolicyKind,
  actDim: number,
): DenseLayerWeights[] {
  if (kind === "deterministic") return [...layers];
  const last = layers[layers.length - 1];
  const weight = new Float32Array(last.inDim * actDim);
  for (let i = 0; i < last.inDim; i++) {
    weight.set(last.weight.subarray(i * last.outDim, i * last.outDim + actDim), i * actDim);
  }
  return [...layers.slice(0, -1), { ...last, outDim: actDim, weight, bias: last.bias.slice(0, actDim) }];
}
