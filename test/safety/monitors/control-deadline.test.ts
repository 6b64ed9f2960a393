import { describe, expect, it } from "vitest";
import { controlDeadline, type TickTiming } from "../../../src/safety/monitors/control-deadline.js";
import { ev, newScheduler, operatorContract } from "./contract.js";

describe("controlDeadline", () => {
  operatorContract(
    (scheduler) => controlDeadline({ periodMs: 30, scheduler }),
    { tick: 0, start: 0, end: 1 },
    {
      marble: "60ms a",
      values: { a: ev({ key: "stall", stamp: 60 }) },
    },
  );

  it("reports a late policy output in the tick it happened", () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const src = hot<TickTiming>("a 1ms b 1ms c", {
        a: { tick: 0, start: 0, end: 0.5 },
        b: { tick: 1, start: 2, end: 3.5 },
        c: { tick: 2, start: 4, end: 4.2 },
      });
      expectObservable(
        src.pipe(controlDeadline({ periodMs: 2, budgetMs: 1, stallMs: 100, scheduler: ts })),
        "^ 9ms !",
      ).toBe("2ms m", { m: ev({ key: "budget", severity: "error", limit: 1, observed: 1.5 }) });
    });
  });

  it("reports a stall when ticks stop", () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const src = hot<TickTiming>("a 1ms b", {
        a: { tick: 0, start: 0, end: 0.1 },
        b: { tick: 1, start: 2, end: 2.1 },
      });
      expectObservable(src.pipe(controlDeadline({ periodMs: 2, scheduler: ts })), "^ 7ms !").toBe("6ms s", {
        s: ev({ key: "stall", message: "no control tick completed for 4 ms after tick 1" }),
      });
    });
  });

  it("rejects invalid config at creation", () => {
    expect(() => controlDeadline({ periodMs: 2, budgetMs: -1 })).toThrow(/budget_ms/);
  });
});
