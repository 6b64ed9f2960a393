import { describe, expect, it } from "vitest";
import { toDiagnosticArray } from "../../src/safety/diagnostics.js";
import { safetyEvent } from "../../src/safety/events.js";
import { DIAGNOSTIC_LEVEL } from "../../src/msgs/types.js";

describe("toDiagnosticArray", () => {
  it("maps events to DiagnosticStatus with levels, names and key values, plus the e-stop state", () => {
    const events = [
      safetyEvent("support_gap", "", "warn", 0.1, 0.2, 10, "gap"),
      safetyEvent("joint_limits", "j0.position", "fatal", 2, 2.1, 11, "beyond"),
    ];
    const msg = toDiagnosticArray(events, 12.5, "arm2", { engaged: true, cause: events[1], trips: 1 });
    expect(msg.header.stamp).toEqual({ sec: 12, nanosec: 500000000 });
    expect(msg.status.map((s) => [s.name, s.level])).toEqual([
      ["tether/safety/support_gap", DIAGNOSTIC_LEVEL.WARN],
      ["tether/safety/joint_limits", DIAGNOSTIC_LEVEL.ERROR],
      ["tether/safety/estop", DIAGNOSTIC_LEVEL.ERROR],
    ]);
    expect(msg.status[1].values).toContainEqual({ key: "observed", value: "2.1" });
    expect(msg.status[2].message).toBe("e-stop engaged: beyond");
    expect(msg.status[0].hardware_id).toBe("arm2");
  });
});
