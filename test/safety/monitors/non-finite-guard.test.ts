import { describe, expect, it } from "vitest";
import { nonFiniteGuard } from "../../../src/safety/monitors/non-finite-guard.js";
import type { VectorSample } from "../../../src/safety/monitors/non-finite-guard.js";
import { ev, newScheduler, operatorContract } from "./contract.js";

describe("nonFiniteGuard", () => {
  operatorContract((scheduler) => nonFiniteGuard({ what: "policy_output", scheduler }), {
    stamp: 0,
    values: [0],
  });

  it("reports the first non-finite entry by name, in the same frame", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<VectorSample>("a-b-c|", {
        a: { stamp: 0, values: [0, 1] },
        b: { stamp: 2, values: [0, NaN] },
        c: { stamp: 4, values: [-Infinity, NaN] },
      });
      expectObservable(
        src.pipe(nonFiniteGuard({ what: "policy_output", names: ["shoulder", "elbow"] })),
      ).toBe("--b-c|", {
        b: ev({ key: "policy_output", message: "policy_output[elbow] is NaN", severity: "error" }),
        c: ev({ message: "policy_output[shoulder] is -Infinity", stamp: 4 }),
      });
    });
  });

  it("rejects a bad name at creation", () => {
    expect(() => nonFiniteGuard({ what: "Policy Output" })).toThrow(/non_finite_guard: what/);
  });
});
