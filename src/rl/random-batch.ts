/** A mini-batch of random transitions (normal observations and rewards, uniform actions) for benchmarks and tests. */
import type { Rng } from "../core/rng.js";
import type { Batch } from "./algos/learner.js";

export function randomBatch(
  rng: Rng,
  n: number,
  obsDim: number,
  actDim: number,
  terminalRate: number,
): Batch {
  const f = (k: number, g: () => number) => Float32Array.from({ length: k }, g);
  return {
    size: n,
    observations: f(n * obsDim, () => rng.normal()),
    actions: f(n * actDim, () => rng.uniform(-1, 1)),
    rewards: f(n, () => rng.normal()),
    nextObservations: f(n * obsDim, () => rng.normal()),
    terminals: f(n, () => (rng.next() < terminalRate ? 1 : 0)),
  };
}
