/**
 * Support diagnostics (seed chapter, "Evaluation"): how far the policy's actions sit from the actions the
 * data actually contains. A large gap means the policy relies on values the data never checked.
 */
import { ShapeMismatchError } from "../../core/errors.js";
import { quantileBox, type ActionQuantiles } from "../../policy/support.js";

/**
 * Mean Euclidean distance between policy actions and reference actions, row by row. For a dataset the
 * reference is the dataset's action at each dataset state (policy actions computed at those states); for
 * the bandit demo it is the behavior policy's mean action at each evaluation state.
 */
export function supportGap(
  policyActions: Float32Array | Float64Array,
  referenceActions: Float32Array | Float64Array,
  actDim: number,
): number {
  if (policyActions.length !== referenceActions.length) {
    throw new ShapeMismatchError(
      "support gap: policy vs reference actions length",
      referenceActions.length,
      policyActions.length,
    );
  }
  const rows = policyActions.length / actDim;
  if (!Number.isInteger(rows) || rows < 1)
    throw new ShapeMismatchError(
      "support gap: actions length",
      `k × ${actDim}, k >= 1`,
      policyActions.length,
    );
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < actDim; j++) {
      const d = policyActions[r * actDim + j] - referenceActions[r * actDim + j];
      s += d * d;
    }
    total += Math.sqrt(s);
  }
  return total / rows;
}

export interface OutsideBoxReport {
  /** Fraction of actions with at least one dimension outside the box. */
  fraction: number;
  /** Per-dimension fraction outside. */
  perDim: number[];
  lowLevel: number;
  highLevel: number;
}

/** Fraction of actions outside the dataset's per-dimension quantile box [q(lowLevel), q(highLevel)]. */
export function fractionOutsideQuantileBox(
  actions: Float32Array | Float64Array,
  actDim: number,
  quantiles: ActionQuantiles,
  lowLevel = 0.005,
  highLevel = 0.995,
): OutsideBoxReport {
  if (quantiles.values.length !== actDim)
    throw new ShapeMismatchError("quantile box dimensions", actDim, quantiles.values.length);
  const { low, high } = quantileBox(quantiles, lowLevel, highLevel);
  const rows = actions.length / actDim;
  if (!Number.isInteger(rows) || rows < 1)
    throw new ShapeMismatchError("actions length", `k × ${actDim}, k >= 1`, actions.length);
  const perDim = new Array<number>(actDim).fill(0);
  let anyOut = 0;
  for (let r = 0; r < rows; r++) {
    let out = false;
    for (let j = 0; j < actDim; j++) {
      const a = actions[r * actDim + j];
      if (a < low[j] || a > high[j]) {
        perDim[j]++;
        out = true;
      }
    }
    if (out) anyOut++;
  }
  return { fraction: anyOut / rows, perDim: perDim.map((c) => c / rows), lowLevel, highLevel };
}
