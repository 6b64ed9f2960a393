import { describe, expect, it } from "vitest";
import { stateBoxFromStats, stateSupport } from "../../../src/safety/monitors/state-support.js";
import type { VectorSample } from "../../../src/safety/monitors/non-finite-guard.js";
import { ev, newScheduler, operatorContract } from "./contract.js";

const box = stateBoxFromStats([0, 1], [1, 0.5], 3); // [-3,3], [-0.5,2.5]

describe("stateSupport", () => {
  operatorContract((scheduler) => stateSupport({ ...box, scheduler }), { stamp: 0, values: [0, 0] });

  it("reports an observation outside the dataset's box in the same frame", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<VectorSample>("a-b-c|", {
        a: { stamp: 0, values: [2.9, 2.4] },
        b: { stamp: 2, values: [0, 2.6] },
        c: { stamp: 4, values: [0] },
      });
      expectObservable(src.pipe(stateSupport({ ...box, names: ["x", "v"] }))).toBe("--b-c|", {
        b: ev({ key: "v", limit: 2.5, observed: 2.6, severity: "error" }),
        c: ev({ key: "shape" }),
      });
    });
  });

  it("rejects an inverted box at creation", () => {
    expect(() => stateSupport({ lo: [1], hi: [0] })).toThrow(/state_support: box\[0\]/);
    expect(() => stateBoxFromStats([0], [1], 0)).toThrow(/k/);
  });
});
