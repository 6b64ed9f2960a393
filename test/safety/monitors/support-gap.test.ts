import { describe, expect, it } from "vitest";
import { supportGap, type GapSample } from "../../../src/safety/monitors/support-gap.js";
import { ev, newScheduler, operatorContract } from "./contract.js";

describe("supportGap", () => {
  operatorContract((scheduler) => supportGap({ window: 2, warnAbove: 0.1, errorAbove: 0.3, scheduler }), {
    stamp: 0,
    gap: 0,
  });

  it("reports only once the window is full, on the rolling mean, with warn and error levels", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const g = (stamp: number, gap: number): GapSample => ({ stamp, gap });
      const src = cold<GapSample>("abcdef|", {
        a: g(0, 0.9),
        b: g(1, 0.1),
        c: g(2, 0.1),
        d: g(3, 0.3),
        e: g(4, 0.5),
        f: g(5, 0),
      });
      // means over 3: (1.1)/3=.367 err, .167 warn, .167 warn, .267 warn, .267 warn
      expectObservable(src.pipe(supportGap({ window: 3, warnAbove: 0.15, errorAbove: 0.3 }))).toBe(
        "--wxyz|",
        {
          w: ev({ severity: "error", limit: 0.3 }),
          x: ev({ severity: "warn", stamp: 3 }),
          y: ev({ severity: "warn", stamp: 4 }),
          z: ev({ severity: "warn", stamp: 5 }),
        },
      );
    });
  });

  it("counts a NaN gap as off support", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<GapSample>("a|", { a: { stamp: 0, gap: NaN } });
      expectObservable(src.pipe(supportGap({ window: 1, warnAbove: 0.1, errorAbove: 0.2 }))).toBe("a|", {
        a: ev({ severity: "error" }),
      });
    });
  });

  it("rejects invalid config at creation", () => {
    expect(() => supportGap({ window: 0, warnAbove: 0, errorAbove: 1 })).toThrow(/support_gap: window/);
    expect(() => supportGap({ window: 3, warnAbove: 2, errorAbove: 1 })).toThrow(/error_above/);
  });
});
