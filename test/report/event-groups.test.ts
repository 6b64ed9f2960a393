import { describe, expect, it } from "vitest";
import { groupEvents, severitiesByStage } from "../../src/report/event-groups.js";
import type { SafetyEventRecord } from "../../src/report/run-summary.js";

const at = (stamp: number, over: Partial<SafetyEventRecord> = {}): SafetyEventRecord => ({
  monitor: "joint_limits",
  key: "elbow.position",
  limit: 2.85,
  observed: 2.9,
  stamp,
  severity: "warn",
  message: `elbow near its stop at ${stamp}`,
  stage: "sim-eval",
  ...over,
});

describe("groupEvents", () => {
  it("groups by stage, monitor, key and severity, counting and keeping first/last time and the first message", () => {
    const events = [
      at(3),
      at(1),
      at(2, { severity: "estop" }),
      at(5, { key: "shoulder.velocity" }),
      at(4, { stage: "full" }),
      at(6),
      { ...at(0.5), stamp: { sec: 0, nanosec: 250_000_000 }, monitor: "state_support", key: undefined },
    ];
    expect(groupEvents(events)).toEqual([
      expect.objectContaining({ monitor: "state_support", key: "", count: 1, first: 0.25, last: 0.25 }),
      {
        stage: "sim-eval",
        monitor: "joint_limits",
        key: "elbow.position",
        severity: "warn",
        count: 3,
        first: 1,
        last: 6,
        message: "elbow near its stop at 1",
      },
      expect.objectContaining({ severity: "estop", count: 1, first: 2 }),
      expect.objectContaining({ stage: "full", count: 1 }),
      expect.objectContaining({ key: "shoulder.velocity", count: 1, first: 5 }),
    ]);
  });

  it("counts severities per stage, in order of appearance", () => {
    expect(
      severitiesByStage([
        at(1),
        at(2),
        at(3, { severity: "error", stage: "full" }),
        at(4, { stage: undefined }),
      ]),
    ).toBe("sim-eval: 2 warn; full: 1 error; (no stage): 1 warn");
    expect(severitiesByStage([])).toBe("");
  });
});
