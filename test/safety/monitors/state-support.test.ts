import { describe, expect, it } from "vitest";
import { stateBoxFromStats, stateSupport } from "../../../src/safety/monitors/state-support.js";
import type { VectorSample } from "../../../src/safety/monitors/non-finite-guard.js";
import { ev, newScheduler, operatorContract } from "./contract.js";

const box = stateBoxFromStats([0, 1], [1, 0.5], 3); // [-3,3], [-0.5,2.5]

describe("stateSupport", () => {
  operatorContract((scheduler) => stateSupport({ ...box, scheduler }), { stamp: 0, values: [0, 0] });

  it("warns just past the box, errs beyond half its half-width, in the same frame, on the dimension furthest out", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<VectorSample>("a-b-c-d-e|", {
        a: { stamp: 0, values: [2.9, 2.4] },
        b: { stamp: 2, values: [0, 2.6] }, // 0.1 past 2.5, half-width 1.5: warn
        c: { stamp: 4, values: [3.2, 3.3] }, // x 0.2/3 out, v 0.8/1.5 out: v, error
        d: { stamp: 6, values: [-4.6, 2.6] }, // x 1.6/3 out: error, furthest out
        e: { stamp: 8, values: [0] },
      });
      expectObservable(src.pipe(stateSupport({ ...box, names: ["x", "v"] }))).toBe("--b-c-d-e|", {
        b: ev({ key: "v", limit: 2.5, observed: 2.6, severity: "warn" }),
        c: ev({ key: "v", limit: 2.5, observed: 3.3, severity: "error" }),
        d: ev({ key: "x", limit: -3, observed: -4.6, severity: "error" }),
        e: ev({ key: "shape" }),
      });
    });
  });

  it("rejects an inverted box at creation", () => {
    expect(() => stateSupport({ lo: [1], hi: [0] })).toThrow(/state_support: box\[0\]/);
    expect(() => stateBoxFromStats([0], [1], 0)).toThrow(/k/);
  });
});
