/**
 * The shield's per-dimension guarantee, written independently of its code: with r the reference (the
 * previous command), R = [r - d, r + d], H the hard limits and B the box (all normalized), a command x must lie
 * in H ∩ R, and in B ∩ H ∩ R when that is not empty, else be the point of H ∩ R nearest to B.
 * Returns "" when it holds, else why not.
 */
export function fromReferenceViolation(
  x: number,
  r: number,
  d: number,
  h: readonly [number, number],
  b: readonly [number, number],
  eps = 1e-9,
): string {
  const lo = Math.max(h[0], r - d);
  const hi = Math.min(h[1], r + d);
  if (!(x >= lo - eps && x <= hi + eps)) return `${x} outside H ∩ R = [${lo}, ${hi}] (r ${r})`;
  const ilo = Math.max(lo, b[0]);
  const ihi = Math.min(hi, b[1]);
  if (ilo <= ihi) {
    if (!(x >= ilo - eps && x <= ihi + eps)) return `${x} outside B ∩ H ∩ R = [${ilo}, ${ihi}] (r ${r})`;
    return "";
  }
  const nearest = hi < b[0] ? hi : lo;
  return Math.abs(x - nearest) <= eps ? "" : `${x} is not ${nearest}, the point of H ∩ R nearest B (r ${r})`;
}

/** Normalized [-1, 1] value of `units` on an actuator range. */
export function normalized(units: number, range: readonly [number, number]): number {
  return (2 * (units - range[0])) / (range[1] - range[0]) - 1;
}
