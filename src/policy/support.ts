/**
 * The support model shipped in a policy package and consumed by the safety clamps:
 * - per-dimension quantiles of the dataset's normalized actions (a box the data actually covered);
 * - a state-conditional behavior model (a small Gaussian MLP: mean and spread of the data's action at a state).
 */
import { ShapeMismatchError, TetherError } from "../core/errors.js";
import { quantileOfSorted } from "../core/quantile.js";
import { DenseForward, type DenseLayerWeights } from "./network.js";

export const DEFAULT_QUANTILE_LEVELS: readonly number[] = [0.005, 0.025, 0.5, 0.975, 0.995];

export interface ActionQuantiles {
  levels: number[];
  /** values[dim][k] is the levels[k] quantile of action dimension `dim`. */
  values: number[][];
}

export interface ConditionalSupportWeights {
  /** normalized obs -> [raw mean (actDim), log_std (actDim)]. */
  layers: DenseLayerWeights[];
  logStdMin: number;
  logStdMax: number;
  squashMean: boolean;
}

/** Quantiles with linear interpolation between order statistics (numpy's default). */
export function computeActionQuantiles(
  actions: Float32Array,
  actDim: number,
  levels: readonly number[] = DEFAULT_QUANTILE_LEVELS,
): ActionQuantiles {
  const n = actions.length / actDim;
  if (!Number.isInteger(n) || n < 1)
    throw new ShapeMismatchError(
      "actions length (multiple of actDim, >= 1 row)",
      `k × ${actDim}`,
      actions.length,
    );
  const column = new Float64Array(n);
  const values: number[][] = [];
  for (let d = 0; d < actDim; d++) {
    for (let i = 0; i < n; i++) column[i] = actions[i * actDim + d];
    column.sort();
    values.push(levels.map((q) => quantileOfSorted(column, q)));
  }
  return { levels: [...levels], values };
}

/** The [low, high] box per dimension between two stored levels (e.g. 0.005 and 0.995). */
export function quantileBox(
  q: ActionQuantiles,
  lowLevel: number,
  highLevel: number,
): { low: Float64Array; high: Float64Array } {
  const li = q.levels.findIndex((l) => Math.abs(l - lowLevel) < 1e-12);
  const hi = q.levels.findIndex((l) => Math.abs(l - highLevel) < 1e-12);
  if (li < 0 || hi < 0) {
    throw new TetherError(
      "SUPPORT_LEVEL",
      `quantile levels ${lowLevel}/${highLevel} are not stored (have ${q.levels.join(", ")})`,
    );
  }
  return { low: Float64Array.from(q.values, (v) => v[li]), high: Float64Array.from(q.values, (v) => v[hi]) };
}

/** Batch-1 evaluation of the state-conditional behavior model; no allocation per call. */
export class ConditionalSupport {
  readonly actDim: number;
  private readonly net: DenseForward;

  constructor(private readonly weights: ConditionalSupportWeights) {
    this.net = new DenseForward(weights.layers);
    if (this.net.outDim % 2 !== 0)
      throw new ShapeMismatchError("support model output (2 × actDim)", "even", this.net.outDim);
    this.actDim = this.net.outDim / 2;
  }

  /** `normalizedObs` must already be normalized with the package's observation mean/std. */
  evaluate(
    normalizedObs: ArrayLike<number>,
    meanOut: Float32Array | Float64Array,
    stdOut: Float32Array | Float64Array,
  ): void {
    const y = this.net.forward(normalizedObs);
    const { logStdMin, logStdMax, squashMean } = this.weights;
    for (let i = 0; i < this.actDim; i++) {
      meanOut[i] = squashMean ? Math.tanh(y[i]) : y[i];
      const ls = Math.min(logStdMax, Math.max(logStdMin, y[this.actDim + i]));
      stdOut[i] = Math.exp(ls);
    }
  }
}
