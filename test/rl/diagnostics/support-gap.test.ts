import { describe, expect, it } from "vitest";
import { fractionOutsideQuantileBox, supportGap } from "../../../src/rl/diagnostics/support-gap.js";
import { policyActionsAt } from "../../../src/rl/diagnostics/policy-actions.js";
import { PolicyRunner } from "../../../src/policy/runner.js";
import type { ActionQuantiles } from "../../../src/policy/support.js";

describe("supportGap", () => {
  it("is the mean Euclidean distance row by row", () => {
    const policy = Float32Array.from([0, 0, 3, 4, 1, 1]);
    const data = Float32Array.from([0, 0, 0, 0, 1, 0]);
    expect(supportGap(policy, data, 2)).toBeCloseTo((0 + 5 + 1) / 3, 12);
  });

  it("is zero when the policy reproduces the data and equals |a - b| in 1-D", () => {
    const a = Float32Array.from([0.1, -0.4, 0.9]);
    expect(supportGap(a, a, 1)).toBe(0);
    expect(supportGap(Float64Array.from([0.5, -0.5]), Float64Array.from([0, 0]), 1)).toBe(0.5);
  });

  it("rejects mismatched lengths", () => {
    expect(() => supportGap(new Float32Array(4), new Float32Array(6), 2)).toThrow(/expected 6, got 4/);
  });
});

describe("fractionOutsideQuantileBox", () => {
  const q: ActionQuantiles = {
    levels: [0.005, 0.5, 0.995],
    values: [
      [-0.5, 0, 0.5],
      [-0.1, 0, 0.1],
    ],
  };

  it("counts rows with any dimension outside, and each dimension separately", () => {
    const actions = Float32Array.from([0, 0, /**/ 0.6, 0, /**/ 0.6, 0.2, /**/ -0.5, 0.0625]);
    const r = fractionOutsideQuantileBox(actions, 2, q);
    expect(r.fraction).toBe(2 / 4);
    expect(r.perDim).toEqual([2 / 4, 1 / 4]);
  });

  it("rejects levels that were not stored", () => {
    expect(() => fractionOutsideQuantileBox(new Float32Array(2), 2, q, 0.025, 0.975)).toThrow(
      /quantile levels 0.025\/0.975 are not stored/,
    );
  });
});

describe("policyActionsAt", () => {
  it("runs the policy on every dataset state", () => {
    // One linear layer a = clip(2 * obs), obs normalized with mean 1, std 1.
    const runner = new PolicyRunner({
      kind: "deterministic",
      layers: [
        { inDim: 1, outDim: 1, activation: "linear", weight: Float32Array.of(2), bias: Float32Array.of(0) },
      ],
      obsMean: [1],
      obsStd: [1],
      actDim: 1,
    });
    const actions = policyActionsAt(runner, {
      size: 3,
      obsDim: 1,
      observations: Float32Array.of(1, 1.25, 3),
    });
    expect(Array.from(actions)).toEqual([0, 0.5, 1]);
  });
});
