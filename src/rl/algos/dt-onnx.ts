/**
 * A decision-transformer package's `policy.onnx`: the context window in, the next action out, for a batch
 * of N windows of K steps (the newest step last):
 *   observations  [N, K, obs] float32, raw (normalized inside)
 *   actions       [N, K, act] float32, actuator units (the newest step's is not read)
 *   returns_to_go [N, K]      float32, raw (scaled inside)
 *   timesteps     [N, K]      int64, episode steps (clipped to the timestep table inside)
 *   mask          [N, K]      float32, 1 for real steps, 0 for the unfilled front of a young episode
 *   -> action     [N, act]    float32, actuator units
 * The graph is the trainer's (dt-model.ts) with the package's parameters as initializers; it is built at
 * batch 1 and its Reshape/Expand shapes then get a free batch dimension.
 */
import { Tensor } from "onnxruntime-node";
import { Rng } from "../../core/rng.js";
import type { DtPolicySpec } from "../../policy/dt-layout.js";
import { POLICY_ONNX_OPSET } from "../../policy/onnx-actor.js";
import type { PolicyPackage } from "../../policy/package.js";
import { dtRunnerFromPackage } from "../../policy/package-runner.js";
import { scaleToRange } from "../../robot/task-functions.js";
import { Graph, type Value } from "../../tensor/graph.js";
import { createSession, encodeModel } from "../../tensor/onnx-model.js";
import { DtModel } from "./dt-model.js";

/** The model's inputs, in its declared order. */
export const DT_ONNX_INPUTS = ["observations", "actions", "returns_to_go", "timesteps", "mask"] as const;
export const DT_ONNX_OUTPUT = "action";

/** The trainer's model for a package's transformer. */
export function dtModelFor(obsDim: number, actDim: number, s: DtPolicySpec): DtModel {
  return new DtModel({
    obsDim,
    actDim,
    embedDim: s.embedDim,
    layers: s.layers,
    heads: s.heads,
    contextLength: s.contextLength,
    timesteps: s.maxEpisodeLength,
  });
}

export function exportDtPackageOnnx(pkg: PolicyPackage): { bytes: Uint8Array; opset: number } {
  const m = pkg.manifest;
  const s = pkg.transformer;
  if (!s) throw new Error(`${pkg.dir}: not a decision-transformer package`);
  const { dim: obsDim, mean, std } = m.observation;
  const { dim: actDim, low, high } = m.action;
  const k = s.contextLength;
  const model = dtModelFor(obsDim, actDim, s);
  const { group } = model;
  // ParamGroup's flat layout is each pair's matrix then its vector, in the package's order.
  const flat = new Float32Array(group.size);
  let at = 0;
  for (const p of pkg.policyLayers) {
    flat.set(p.weight, at);
    flat.set(p.bias, at + p.weight.length);
    at += p.weight.length + p.bias.length;
  }
  const g = new Graph("dt_policy");
  const shapes = group.shapes();
  const params = Object.values(group.split(flat)).map((values, i) => g.constant(values, shapes[i]));
  const net = { params, target: [], layers: (i: number) => group.layers(params, i) };
  const half = low.map((lo, i) => (high[i] - lo) / 2);
  const mid = low.map((lo, i) => (high[i] + lo) / 2);

  const obs = g.input("observations", [1, k, obsDim]);
  const actions = g.input("actions", [1, k, actDim]);
  const rtg = g.input("returns_to_go", [1, k]);
  g.inputs.push({ name: "timesteps", dtype: "int64", shape: [1, k] });
  const mask = g.input("mask", [1, k]);
  const int64 = (name: string, v: number): Value => {
    g.initializers.push({ name, dtype: "int64", dims: [], data: BigInt64Array.of(BigInt(v)) });
    return { name, shape: [], kind: "int64" };
  };
  const timesteps = g.node(
    "Clip",
    [
      { name: "timesteps", shape: [1, k], kind: "int64" },
      int64("timestep_min", 0),
      int64("timestep_max", s.maxEpisodeLength - 1),
    ],
    [1, k],
    {},
    "int64",
  );
  const predicted = model.forward(g, net, {
    observations: g.div(g.sub(obs, g.constant(mean, [obsDim])), g.constant(std, [obsDim])),
    actions: g.div(g.sub(actions, g.constant(mid, [actDim])), g.constant(half, [actDim])),
    returnsToGo: g.mul(g.reshape(rtg, [1, k, 1]), s.returnScale),
    timesteps,
    mask,
  });
  const newest = g.reshape(g.slice(g.reshape(predicted, [1, k, actDim]), 1, k - 1, k), [1, actDim]);
  const action = g.add(g.mul(newest, g.constant(half, [actDim])), g.constant(mid, [actDim]));
  const nodes = [...g.toNodes(), { op: "Identity", inputs: [action.name], outputs: [DT_ONNX_OUTPUT] }];
  freeBatchDimension(nodes, g.initializers);
  // The timestep table's vector of its pair is never read (ONNX Runtime warns of unused initializers).
  const used = new Set(nodes.flatMap((n) => n.inputs));
  const initializers = g.initializers.filter((t) => used.has(t.name));

  const inputs = g.inputs.map((v) => ({ ...v, shape: ["N", ...v.shape.slice(1)] }));
  const metadata: Record<string, string> = {
    robot: m.robot,
    observation_names: JSON.stringify(m.observation.names),
    action_names: JSON.stringify(m.action.names),
    dataset_hash: m.provenance.dataset_hash,
    algorithm: m.provenance.algorithm,
    policy_kind: m.policy.kind,
    action_low: JSON.stringify(low),
    action_high: JSON.stringify(high),
    code_version: m.provenance.code_version,
    context_length: String(k),
    target_return: String(s.targetReturn),
    return_scale: String(s.returnScale),
    max_episode_length: String(s.maxEpisodeLength),
  };
  const bytes = encodeModel({
    graphName: `${m.robot}_${m.provenance.algorithm}_decision_transformer`,
    docString:
      `Tether decision transformer for robot ${m.robot}: N context windows of K = ${k} steps (observations raw, ` +
      `actions in actuator units, returns-to-go raw, int64 timesteps, mask 1 for real steps; newest last) -> ` +
      `next action [N, ${actDim}] in actuator units. Condition on target_return at an episode's start and ` +
      `lower it by each reward.`,
    opset: POLICY_ONNX_OPSET,
    nodes,
    inputs,
    outputs: [{ name: DT_ONNX_OUTPUT, dtype: "float32", shape: ["N", actDim] }],
    initializers,
    metadata,
  });
  return { bytes, opset: POLICY_ONNX_OPSET };
}

/**
 * Every Reshape and Expand of the DT graph has the batch (alone or times a fixed size) as its first target
 * dimension and fixed sizes after it: -1 (Reshape) and 1 (Expand broadcasts) there make the batch free.
 */
function freeBatchDimension(
  nodes: { op: string; inputs: readonly string[] }[],
  initializers: { name: string; data: unknown }[],
): void {
  const byName = new Map(initializers.map((t) => [t.name, t]));
  for (const n of nodes) {
    if (n.op !== "Reshape" && n.op !== "Expand") continue;
    const shape = byName.get(n.inputs[1])?.data;
    if (!(shape instanceof BigInt64Array)) throw new Error(`dt export: ${n.op} without a constant shape`);
    shape[0] = n.op === "Reshape" ? -1n : 1n;
  }
}

export interface DtOnnxComparison {
  rows: number;
  dims: number[];
  /** Largest |ONNX Runtime - DtRunner| over all rows and action components, in actuator units. */
  max_abs_diff: number;
  onnx: Float32Array;
  runner: Float64Array;
}

/** Random context windows for a package: each row filled for 1..K steps, timesteps past the table too. */
export function randomDtWindows(pkg: PolicyPackage, rows: number, seed: number) {
  const m = pkg.manifest;
  const s = pkg.transformer!;
  const k = s.contextLength;
  const { dim: obsDim, mean, std } = m.observation;
  const { dim: actDim, low, high } = m.action;
  const rng = new Rng(seed);
  const observations = new Float32Array(rows * k * obsDim);
  const actions = new Float32Array(rows * k * actDim);
  const returnsToGo = new Float32Array(rows * k);
  const timesteps = new BigInt64Array(rows * k);
  const mask = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const filled = 1 + rng.int(k);
    const start = rng.int(s.maxEpisodeLength + k);
    const spread = Math.max(1, Math.abs(s.targetReturn));
    for (let j = 0; j < k; j++) {
      const row = r * k + j;
      const real = j >= k - filled;
      mask[row] = real ? 1 : 0;
      timesteps[row] = BigInt(real ? start + j - (k - filled) : 0);
      returnsToGo[row] = real ? s.targetReturn + rng.normal(0, spread) : 0;
      for (let i = 0; i < obsDim; i++)
        observations[row * obsDim + i] = real ? mean[i] + std[i] * rng.normal(0, 2) : 0;
      for (let i = 0; i < actDim; i++)
        actions[row * actDim + i] = real ? scaleToRange(rng.uniform(-1, 1), low[i], high[i]) : 0;
    }
  }
  return { rows, observations, actions, returnsToGo, timesteps, mask };
}

/** Runs `bytes` in ONNX Runtime on `rows` random windows (one batch) and compares with DtRunner. */
export async function compareDtOnnx(
  pkg: PolicyPackage,
  bytes: Uint8Array,
  options: { rows?: number; seed?: number } = {},
): Promise<DtOnnxComparison> {
  const rows = options.rows ?? 200;
  const k = pkg.transformer!.contextLength;
  const { dim: obsDim } = pkg.manifest.observation;
  const { dim: actDim, low, high } = pkg.manifest.action;
  const w = randomDtWindows(pkg, rows, options.seed ?? 0);
  const session = await createSession(bytes, { device: "cpu" });
  let onnx: Float32Array;
  let dims: readonly number[];
  try {
    const result = await session.run({
      observations: new Tensor("float32", w.observations, [rows, k, obsDim]),
      actions: new Tensor("float32", w.actions, [rows, k, actDim]),
      returns_to_go: new Tensor("float32", w.returnsToGo, [rows, k]),
      timesteps: new Tensor("int64", w.timesteps, [rows, k]),
      mask: new Tensor("float32", w.mask, [rows, k]),
    });
    onnx = result[DT_ONNX_OUTPUT].data as Float32Array;
    dims = result[DT_ONNX_OUTPUT].dims;
  } finally {
    await session.release();
  }
  const runner = dtRunnerFromPackage(pkg);
  const out = new Float64Array(rows * actDim);
  const a = new Float64Array(actDim);
  const normActions = new Float64Array(k * actDim);
  const steps = new Float64Array(k);
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k * actDim; j++) {
      const i = j % actDim;
      normActions[j] = (2 * (w.actions[r * k * actDim + j] - low[i])) / (high[i] - low[i]) - 1;
    }
    for (let j = 0; j < k; j++) steps[j] = Number(w.timesteps[r * k + j]);
    runner.predictWindow(
      {
        observations: w.observations.subarray(r * k * obsDim, (r + 1) * k * obsDim),
        actions: normActions,
        returnsToGo: w.returnsToGo.subarray(r * k, (r + 1) * k),
        timesteps: steps,
        mask: w.mask.subarray(r * k, (r + 1) * k),
      },
      a,
    );
    for (let i = 0; i < actDim; i++) {
      const idx = r * actDim + i;
      out[idx] = scaleToRange(a[i], low[i], high[i]);
      const d = Math.abs(onnx[idx] - out[idx]);
      worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    }
  }
  return { rows, dims: [...dims], max_abs_diff: worst, onnx, runner: out };
}
