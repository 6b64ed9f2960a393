import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { PolicyRunner } from "../../src/policy/runner.js";
import type { DenseLayerWeights } from "../../src/policy/network.js";
import type { PolicyKind } from "../../src/policy/manifest.js";
import { Graph } from "../../src/tensor/graph.js";
import { Program } from "../../src/tensor/program.js";
import { randomLayers } from "./helpers.js";

/** The reference: the same network as an ONNX graph run by ONNX Runtime (the engine the trainer uses). */
function engineActions(
  layers: DenseLayerWeights[],
  kind: PolicyKind,
  actDim: number,
  obs: Float32Array,
  mean: Float32Array,
  std: Float32Array,
): Float32Array {
  const n = obs.length / mean.length;
  const g = new Graph("runner_reference");
  let x = g.div(
    g.sub(g.input("obs", [n, mean.length]), g.constant(mean, [mean.length])),
    g.constant(std, [std.length]),
  );
  for (const l of layers) {
    x = g.gemm(x, g.constant(l.weight, [l.inDim, l.outDim]), g.constant(l.bias, [l.outDim]));
    if (l.activation === "relu") x = g.relu(x);
    if (l.activation === "tanh") x = g.tanh(x);
  }
  const a = g.slice(x, 1, 0, actDim);
  const out = kind === "tanh-gaussian" ? g.tanh(a) : g.clip(a, -1, 1);
  const program = new Program({ graph: g, state: [], outputs: { out } }, {});
  try {
    return (program.run({ obs }).out as Float32Array).slice();
  } finally {
    program.dispose();
  }
}

const CASES: { name: string; kind: PolicyKind; dims: number[] }[] = [
  { name: "2x256 deterministic (tanh out)", kind: "deterministic", dims: [17, 256, 256, 6] },
  { name: "2x256 tanh-gaussian", kind: "tanh-gaussian", dims: [17, 256, 256, 12] },
  { name: "small gaussian", kind: "gaussian", dims: [5, 32, 32, 4] },
];

describe("PolicyRunner vs the same network on ONNX Runtime", () => {
  it.each(CASES)("matches within 1e-5: $name", ({ kind, dims }) => {
    const rng = new Rng(dims.reduce((a, b) => a * 31 + b, 7));
    const obsDim = dims[0];
    const actDim = kind === "deterministic" ? dims[dims.length - 1] : dims[dims.length - 1] / 2;
    const acts = dims
      .slice(1)
      .map((_, i) =>
        i === dims.length - 2 ? (kind === "deterministic" ? "tanh" : "linear") : "relu",
      ) as DenseLayerWeights["activation"][];
    const layers = randomLayers(rng, dims, acts);
    const mean = Float32Array.from({ length: obsDim }, () => rng.normal(0, 1));
    const std = Float32Array.from({ length: obsDim }, () => rng.uniform(0.2, 3));
    const rows = 64;
    const obs = Float32Array.from(
      { length: rows * obsDim },
      (_, i) => mean[i % obsDim] + std[i % obsDim] * rng.normal(0, 2),
    );
    const want = engineActions(layers, kind, actDim, obs, mean, std);
    const runner = new PolicyRunner({ kind, layers, obsMean: mean, obsStd: std, actDim });
    const out = new Float32Array(actDim);
    let maxErr = 0;
    let saturated = 0;
    for (let r = 0; r < rows; r++) {
      runner.act(obs.subarray(r * obsDim, (r + 1) * obsDim), out);
      for (let j = 0; j < actDim; j++) {
        maxErr = Math.max(maxErr, Math.abs(out[j] - want[r * actDim + j]));
        if (Math.abs(out[j]) < 0.999) saturated++;
      }
    }
    expect(maxErr).toBeLessThan(1e-5);
    // The comparison must not be trivially true because every output sits at the clip.
    expect(saturated).toBeGreaterThan(rows * actDim * 0.2);
  });
});

describe("PolicyRunner", () => {
  it("rejects a network whose output does not fit the kind", () => {
    const layers = randomLayers(new Rng(1), [3, 8, 4], ["relu", "linear"]);
    expect(
      () =>
        new PolicyRunner({ kind: "tanh-gaussian", layers, obsMean: [0, 0, 0], obsStd: [1, 1, 1], actDim: 4 }),
    ).toThrow(/policy output \(kind tanh-gaussian\): expected 8, got 4/);
  });

  it("rejects normalization stats of the wrong length", () => {
    const layers = randomLayers(new Rng(1), [3, 8, 2], ["relu", "tanh"]);
    expect(
      () =>
        new PolicyRunner({ kind: "deterministic", layers, obsMean: [0, 0], obsStd: [1, 1, 1], actDim: 2 }),
    ).toThrow(/obsMean: expected 3, got 2/);
  });
});
