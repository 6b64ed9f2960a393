/**
 * The state-conditional support clamp: the policy package's support model says, for the current
 * observation, which actions the dataset's behavior would plausibly take (mean ± k·spread per dimension).
 * The clamp keeps the command inside that interval intersected with the action box.
 */

/** Written by the policy package: fills per-dimension bounds (normalized units) for one observation. */
export interface SupportModel {
  bounds(obs: Float32Array, lo: Float64Array, hi: Float64Array): void;
}

/** Adapts a plain mean/spread function (e.g. a BC Gaussian head) to a SupportModel with k spreads. */
export function meanSpreadSupport(
  fill: (obs: Float32Array, mean: Float64Array, spread: Float64Array) => void,
  actDim: number,
  k: number,
): SupportModel {
  const mean = new Float64Array(actDim);
  const spread = new Float64Array(actDim);
  return {
    bounds(obs, lo, hi) {
      fill(obs, mean, spread);
      for (let i = 0; i < actDim; i++) {
        const s = Math.abs(spread[i]) * k;
        lo[i] = mean[i] - s;
        hi[i] = mean[i] + s;
      }
    },
  };
}

/**
 * Clamps `x` into [supLo, supHi] ∩ [boxLo, boxHi] in place; returns the number of dimensions moved.
 * When the support interval misses the box (or is NaN), the box bound nearest the support is used, so the
 * result always stays inside the box. No allocation.
 */
export function clampToSupport(
  x: Float64Array,
  supLo: Float64Array,
  supHi: Float64Array,
  boxLo: ArrayLike<number>,
  boxHi: ArrayLike<number>,
): number {
  let moved = 0;
  for (let i = 0; i < x.length; i++) {
    let lo = supLo[i];
    let hi = supHi[i];
    if (!(lo <= hi)) {
      // NaN or inverted: the support model is broken for this state; fall back to the box alone.
      lo = boxLo[i];
      hi = boxHi[i];
    }
    if (lo < boxLo[i]) lo = boxLo[i];
    if (hi > boxHi[i]) hi = boxHi[i];
    if (lo > hi) {
      // Support lies entirely outside the box: pin to the box edge nearest to it.
      const edge = supLo[i] > boxHi[i] ? boxHi[i] : boxLo[i];
      lo = edge;
      hi = edge;
    }
    const v = x[i];
    if (v < lo) {
      x[i] = lo;
      moved++;
    } else if (v > hi) {
      x[i] = hi;
      moved++;
    }
  }
  return moved;
}
