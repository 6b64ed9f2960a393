/**
 * A trained Decision Transformer as a standalone ONNX model for batch-1 control: the context window in
 * (raw observations, previous actions, raw returns-to-go, int64 timesteps, mask; the newest step last),
 * the next action out. The same graph as training (dt-model.ts) with the parameters as initializers and
 * the timestep embedding as a Gather.
 */
import { Graph } from "../../tensor/graph.js";
import { encodeModel } from "../../tensor/onnx-model.js";
import type { DtLearner } from "./dt.js";

/** The model's inputs, in its declared order. */
export const DT_ONNX_INPUTS = ["observations", "timesteps", "actions", "returns_to_go", "mask"] as const;
export const DT_ONNX_OUTPUT = "action";
/** Where `tether train --algo dt` writes it, beside the checkpoint. */
export const DT_ONNX_FILE = "dt_policy.onnx";

export function exportDtOnnx(learner: DtLearner): Uint8Array {
  const { obsDim, actDim, obsMean, obsStd } = learner.dims;
  const { contextLength: k, returnScale, maxEpisodeLength } = learner.config;
  const g = new Graph("dt_policy");
  const { group } = learner.model;
  const split = group.split(learner.parameters());
  const shapes = group.shapes();
  const params = Object.values(split).map((values, i) => g.constant(values, shapes[i]));
  const net = { params, target: [], layers: (i: number) => group.layers(params, i) };
  const obs = g.input("observations", [1, k, obsDim]);
  g.inputs.push({ name: "timesteps", dtype: "int64", shape: [1, k] });
  const predicted = learner.model.forward(g, net, {
    observations: g.div(g.sub(obs, g.constant(obsMean, [obsDim])), g.constant(obsStd, [obsDim])),
    actions: g.input("actions", [1, k, actDim]),
    returnsToGo: g.mul(g.input("returns_to_go", [1, k, 1]), returnScale),
    timesteps: { name: "timesteps", shape: [1, k], kind: "int64" },
    mask: g.input("mask", [1, k]),
  });
  const action = g.slice(predicted, 0, k - 1, k);
  return encodeModel({
    graphName: g.name,
    docString: `Decision Transformer, K = ${k}; timesteps must lie in [0, ${maxEpisodeLength - 1}]`,
    nodes: [...g.toNodes(), { op: "Identity", inputs: [action.name], outputs: [DT_ONNX_OUTPUT] }],
    inputs: g.inputs,
    outputs: [{ name: DT_ONNX_OUTPUT, dtype: "float32", shape: [1, actDim] }],
    initializers: g.initializers,
  });
}
