import { describe, expect, it } from "vitest";
import { returnCollapse, type EpisodeSample } from "../../../src/safety/monitors/return-collapse.js";
import { ev, newScheduler, operatorContract } from "./contract.js";

describe("returnCollapse", () => {
  operatorContract((scheduler) => returnCollapse({ window: 2, baseline: 10, maxDrop: 2, scheduler }), {
    stamp: 0,
    episode: 0,
    return: 10,
  });

  it("reports when the rolling mean of episode returns falls below baseline - maxDrop", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const e = (episode: number, r: number): EpisodeSample => ({ stamp: episode * 10, episode, return: r });
      const src = cold<EpisodeSample>("a-b-c-d|", { a: e(0, 10), b: e(1, 7), c: e(2, 5), d: e(3, 12) });
      // means: 8.5 ok, 6 < 8 collapse, 8.5 ok
      expectObservable(src.pipe(returnCollapse({ window: 2, baseline: 10, maxDrop: 2 }))).toBe("----c--|", {
        c: ev({ severity: "error", limit: 8, observed: 6, stamp: 20 }),
      });
    });
  });

  it("treats a NaN return as collapse and honours the configured severity", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<EpisodeSample>("a|", { a: { stamp: 0, episode: 0, return: NaN } });
      expectObservable(
        src.pipe(returnCollapse({ window: 1, baseline: 0, maxDrop: 1, severity: "fatal" })),
      ).toBe("a|", {
        a: ev({ severity: "fatal" }),
      });
    });
  });

  it("rejects invalid config at creation", () => {
    expect(() => returnCollapse({ window: 1.5, baseline: 0, maxDrop: 1 })).toThrow(/return_collapse: window/);
    expect(() => returnCollapse({ window: 1, baseline: NaN, maxDrop: 1 })).toThrow(/baseline/);
  });
});
