import { describe, expect, it } from "vitest";
import { eventSubject, judgesPolicyOutput } from "../../src/safety/events.js";

describe("eventSubject", () => {
  it("attributes crashes, deadlines, non-finite actions and support gaps to the policy's output", () => {
    for (const [monitor, key] of [
      ["policy", "crash"],
      ["control_deadline", "timeout"],
      ["control_deadline", ""],
      ["non_finite", "policy_output"],
      ["support_gap", ""],
    ]) {
      expect(eventSubject({ monitor, key }), `${monitor}:${key}`).toBe("policy_output");
      expect(judgesPolicyOutput({ monitor, key }), `${monitor}:${key}`).toBe(true);
    }
  });

  it("marks stale and non-finite observations as an untrusted state", () => {
    for (const [monitor, key] of [
      ["stale_state", "age"],
      ["stale_state", "frozen"],
      ["non_finite", "observation"],
    ]) {
      expect(eventSubject({ monitor, key }), `${monitor}:${key}`).toBe("untrusted_state");
      expect(judgesPolicyOutput({ monitor, key }), `${monitor}:${key}`).toBe(false);
    }
  });

  it("attributes joint limits, states off support and returns to the robot", () => {
    for (const [monitor, key] of [
      ["joint_limits", "pendulum_joint.velocity"],
      ["state_support", ""],
      ["return_collapse", ""],
    ]) {
      expect(eventSubject({ monitor, key }), `${monitor}:${key}`).toBe("robot");
      expect(judgesPolicyOutput({ monitor, key }), `${monitor}:${key}`).toBe(false);
    }
  });

  it("attributes a node callback fault to the node itself, neither the policy nor the robot", () => {
    expect(eventSubject({ monitor: "node_callback", key: "timer tick (20 ms)" })).toBe("node");
    expect(judgesPolicyOutput({ monitor: "node_callback", key: "timer tick (20 ms)" })).toBe(false);
  });
});
