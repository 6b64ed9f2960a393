/** Rate limit: each command dimension may change by at most `maxDelta[i]` per control tick. */

/** Moves `x` toward `prev` so |x - prev| <= maxDelta per dimension, in place; returns dimensions moved. */
export function rateLimit(x: Float64Array, prev: ArrayLike<number>, maxDelta: ArrayLike<number>): number {
  let moved = 0;
  for (let i = 0; i < x.length; i++) {
    const lo = prev[i] - maxDelta[i];
    const hi = prev[i] + maxDelta[i];
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
