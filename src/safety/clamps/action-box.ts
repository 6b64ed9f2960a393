/**
 * The action-support box: per action dimension, the dataset's [low, high] quantiles widened by a margin.
 * Lives in the policy's normalized action space ([-1, 1] per actuator), like dataset actions.
 */
import { ConfigError, ShapeMismatchError } from "../../core/errors.js";
import { quantileOfSorted } from "../../core/quantile.js";

export interface ActionBox {
  /** Lower bound per dimension, normalized units. */
  readonly lo: Float64Array;
  /** Upper bound per dimension, normalized units. */
  readonly hi: Float64Array;
}

export interface ActionBoxOptions {
  /** Widening on each side as a fraction of the quantile width (default 0.1). */
  margin?: number;
  /** Minimum widening on each side in normalized units, so a constant action still has room (default 0.02). */
  minMargin?: number;
  /** Where the quantiles came from, for error messages (default "support"). */
  source?: string;
}

/** Box from per-dimension quantiles (e.g. the 0.5% and 99.5% quantiles a policy package stores). */
export function actionBoxFromQuantiles(
  low: ArrayLike<number>,
  high: ArrayLike<number>,
  options: ActionBoxOptions = {},
): ActionBox {
  const source = options.source ?? "support";
  const margin = options.margin ?? 0.1;
  const minMargin = options.minMargin ?? 0.02;
  if (low.length !== high.length)
    throw new ShapeMismatchError(`${source}: quantile high length`, low.length, high.length);
  if (!(margin >= 0) || !Number.isFinite(margin)) {
    throw new ConfigError(source, "margin", "must be a finite number >= 0", { actual: String(margin) });
  }
  if (!(minMargin >= 0) || !Number.isFinite(minMargin)) {
    throw new ConfigError(source, "min_margin", "must be a finite number >= 0", {
      actual: String(minMargin),
    });
  }
  const n = low.length;
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const l = low[i];
    const h = high[i];
    if (!Number.isFinite(l) || !Number.isFinite(h) || l > h) {
      throw new ConfigError(source, `quantiles[${i}]`, "must be finite with low <= high", {
        actual: `[${l}, ${h}]`,
      });
    }
    const widen = Math.max(minMargin, margin * (h - l));
    lo[i] = Math.max(-1, l - widen);
    hi[i] = Math.min(1, h + widen);
  }
  return { lo, hi };
}

/**
 * Box from raw dataset actions (row-major, `actDim` per row, normalized): the `q` and `1 - q` quantiles per
 * dimension, widened by the margin. Used when a policy package carries no quantiles of its own.
 */
export function actionBoxFromActions(
  actions: ArrayLike<number>,
  actDim: number,
  options: ActionBoxOptions & { q?: number } = {},
): ActionBox {
  const q = options.q ?? 0.005;
  if (!(q >= 0 && q < 0.5))
    throw new ConfigError(options.source ?? "support", "q", "must be in [0, 0.5)", { actual: String(q) });
  if (actDim <= 0 || actions.length % actDim !== 0 || actions.length === 0) {
    throw new ShapeMismatchError(
      "dataset actions length",
      `a positive multiple of ${actDim}`,
      actions.length,
    );
  }
  const rows = actions.length / actDim;
  const column = new Float64Array(rows);
  const low = new Float64Array(actDim);
  const high = new Float64Array(actDim);
  for (let d = 0; d < actDim; d++) {
    for (let r = 0; r < rows; r++) column[r] = actions[r * actDim + d];
    column.sort();
    low[d] = quantileOfSorted(column, q);
    high[d] = quantileOfSorted(column, 1 - q);
  }
  return actionBoxFromQuantiles(low, high, options);
}

/** Clamps `x` into the box in place; returns how many dimensions were moved. No allocation. */
export function clampToBox(x: Float64Array, lo: ArrayLike<number>, hi: ArrayLike<number>): number {
  let moved = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < lo[i]) {
      x[i] = lo[i];
      moved++;
    } else if (v > hi[i]) {
      x[i] = hi[i];
      moved++;
    }
  }
  return moved;
}
