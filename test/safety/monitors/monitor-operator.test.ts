import { describe, it } from "vitest";
import { monitorOperator } from "../../../src/safety/monitors/monitor-operator.js";
import { safetyEvent } from "../../../src/safety/events.js";
import { ev, newScheduler } from "./contract.js";

describe("monitorOperator", () => {
  it("turns a throwing check into a fatal internal event and keeps checking the next samples", () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const op = monitorOperator<number>("probe", ts, (ctx) => ({
        onValue(v) {
          if (v < 0) throw new Error(`bad sample ${v}`);
          if (v > 5) ctx.emit(safetyEvent("probe", "high", "warn", 5, v, ts.now(), "high"));
        },
      }));
      expectObservable(cold("a-b-c|", { a: 1, b: -2, c: 9 }).pipe(op)).toBe("--x-y|", {
        x: ev({
          monitor: "probe",
          key: "internal",
          severity: "fatal",
          message: "monitor check failed: bad sample -2",
        }),
        y: ev({ monitor: "probe", key: "high", severity: "warn" }),
      });
    });
  });
});
