/**
 * Pins CqlLearner.update to a straightforward reference (cql-reference.ts): same metrics, parameters,
 * target networks, Adam moments, temperature and noise stream after a few updates from one seed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { selectBackend } from "../../../src/rl/backend.js";
import { createTfjs as create } from "../../../src/rl/algos/cql-tfjs.js";
import type { CqlConfig } from "../../../src/rl/algos/cql.js";
import { saveRng, type StateDict } from "../../../src/rl/algos/learner.js";
import { randomBatch } from "../../../src/rl/random-batch.js";
import { ReferenceCql } from "./cql-reference.js";

beforeAll(async () => {
  await selectBackend("wasm");
});

/** Largest |a - b| / (1 + |b|): relative for large values, absolute near zero. */
function maxDiff(a: Float32Array | number[], b: Float32Array | number[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

const CASES: { name: string; obsDim: number; actDim: number; config: Partial<CqlConfig> }[] = [
  { name: "2 hidden layers", obsDim: 5, actDim: 3, config: { hidden: [16, 12], sampledActions: 3 } },
  { name: "1 hidden layer", obsDim: 3, actDim: 2, config: { hidden: [8], sampledActions: 2, alpha: 1 } },
  { name: "3 hidden layers", obsDim: 4, actDim: 1, config: { hidden: [8, 6, 10], sampledActions: 4 } },
];

describe.each(CASES)("CQL update matches the reference ($name)", ({ obsDim, actDim, config }) => {
  it("for 4 updates: metrics, parameters, targets, Adam moments, temperature, noise stream", () => {
    const dims = {
      obsDim,
      actDim,
      obsMean: Float32Array.from({ length: obsDim }, (_, i) => 0.1 * i),
      obsStd: Float32Array.from({ length: obsDim }, (_, i) => 1 + 0.5 * i),
      rewardScale: 0.5,
    };
    const learner = create(config, dims, new Rng(11));
    const twin = create(config, dims, new Rng(11));
    const seed = new Rng(11);
    seed.fork(); // critic init
    seed.fork(); // actor init
    const reference = new ReferenceCql(twin, seed.fork());
    const data = new Rng(5);
    for (let step = 0; step < 4; step++) {
      const batch = randomBatch(data, 24, obsDim, actDim, 0.3);
      const got = learner.update(batch);
      const want = reference.update(batch);
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) expect(maxDiff([got[k]], [want[k]]), k).toBeLessThan(1e-4);
    }
    const got = learner.stateDict();
    const want = twin.stateDict();
    for (const k of Object.keys(want.arrays))
      expect(maxDiff(got.arrays[k], want.arrays[k]), k).toBeLessThan(1e-4);
    expect(learner.logTemperature).toBeCloseTo(reference.logTemperature, 6);
    const stream: StateDict = { algo: "cql", step: 0, arrays: {}, scalars: {} };
    saveRng(stream, "noise_rng", reference.rng);
    for (const [k, v] of Object.entries(stream.scalars)) expect(got.scalars[k], k).toBe(v);
  });
});
