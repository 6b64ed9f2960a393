import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { PolicyRunner } from "../../src/policy/runner.js";
import { computeActionQuantiles } from "../../src/policy/support.js";
import { randomLayers } from "./helpers.js";

const finite = fc.float({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

describe("PolicyRunner properties", () => {
  const rng = new Rng(8);
  const runners = [
    new PolicyRunner({
      kind: "deterministic",
      layers: randomLayers(rng, [4, 16, 3], ["relu", "linear"]),
      obsMean: [0, 1, 2, 3],
      obsStd: [1, 1, 0.1, 10],
      actDim: 3,
    }),
    new PolicyRunner({
      kind: "tanh-gaussian",
      layers: randomLayers(rng, [4, 16, 6], ["relu", "linear"]),
      obsMean: [0, 0, 0, 0],
      obsStd: [1, 1, 1, 1],
      actDim: 3,
    }),
    new PolicyRunner({
      kind: "gaussian",
      layers: randomLayers(rng, [4, 16, 6], ["tanh", "linear"]),
      obsMean: [0, 0, 0, 0],
      obsStd: [1, 1, 1, 1],
      actDim: 3,
    }),
  ];

  it("always emits actions in [-1, 1] for finite observations, for every policy kind", () => {
    fc.assert(
      fc.property(
        fc.array(finite, { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 }),
        (obs, k) => {
          const out = new Float32Array(3);
          runners[k].act(obs, out);
          return Array.from(out).every((a) => a >= -1 && a <= 1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is a pure function of the observation (no state carried between calls)", () => {
    fc.assert(
      fc.property(
        fc.array(finite, { minLength: 4, maxLength: 4 }),
        fc.array(finite, { minLength: 4, maxLength: 4 }),
        (a, b) => {
          const first = new Float32Array(3);
          const again = new Float32Array(3);
          runners[0].act(a, first);
          runners[0].act(b, again);
          runners[0].act(a, again);
          expect(Array.from(again)).toEqual(Array.from(first));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("computeActionQuantiles properties", () => {
  it("is monotone in the level and bounded by the data's min and max", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 2, maxLength: 200 }),
        (values) => {
          const actions = Float32Array.from(values);
          const q = computeActionQuantiles(actions, 1).values[0];
          for (let i = 1; i < q.length; i++) expect(q[i]).toBeGreaterThanOrEqual(q[i - 1]);
          expect(q[0]).toBeGreaterThanOrEqual(Math.min(...actions));
          expect(q[q.length - 1]).toBeLessThanOrEqual(Math.max(...actions));
        },
      ),
      { numRuns: 200 },
    );
  });
});
