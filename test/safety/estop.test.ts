import { describe, expect, it } from "vitest";
import { EStopLatch, type EStopState } from "../../src/safety/estop.js";
import { safetyEvent } from "../../src/safety/events.js";

const cause = safetyEvent("joint_limits", "j0.position", "fatal", 2, 2.1, 5, "j0 beyond limit");

describe("EStopLatch", () => {
  it("latches on the first trip, ignores later trips and clears only on reset", () => {
    const latch = new EStopLatch();
    const seen: EStopState[] = [];
    latch.state$.subscribe((s) => seen.push(s));
    expect(latch.trip(cause)).toBe(true);
    expect(latch.trip({ ...cause, monitor: "other" })).toBe(false);
    expect(latch.engaged).toBe(true);
    expect(latch.cause?.monitor).toBe("joint_limits");
    expect(latch.reset("operator")).toBe(true);
    expect(latch.reset("operator")).toBe(false);
    expect(seen.map((s) => s.engaged)).toEqual([false, true, false]);
    expect(latch.trips).toBe(1);
  });
});
