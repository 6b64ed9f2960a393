/**
 * The quantile of an already sorted array, linearly interpolated between the two nearest order statistics
 * (position q·(n−1), Hyndman–Fan type 7, numpy's default). One definition shared by the support model, the
 * shield's action box and the bootstrap CIs, so the box and the stored support quantiles cannot drift apart.
 */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  // An exact position is that order statistic itself: interpolating would turn -0 into +0, and two huge
  // neighbours of opposite sign into NaN (0 · Infinity).
  if (pos === lo) return sorted[lo];
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
