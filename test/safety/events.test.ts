import { describe, expect, it } from "vitest";
import { judgesPolicyOutput } from "../../src/safety/events.js";

describe("judgesPolicyOutput", () => {
  it("attributes crashes, deadlines, non-finite actions and support gaps to the policy", () => {
    for (const [monitor, key] of [
      ["policy", "crash"],
      ["control_deadline", "timeout"],
      ["control_deadline", ""],
      ["non_finite", "policy_output"],
      ["support_gap", ""],
    ])
      expect(judgesPolicyOutput({ monitor, key }), `${monitor}:${key}`).toBe(true);
  });

  it("attributes joint limits, stale or non-finite state, states off support and returns to the robot", () => {
    for (const [monitor, key] of [
      ["joint_limits", "pendulum_joint.velocity"],
      ["stale_state", "age"],
      ["non_finite", "observation"],
      ["state_support", ""],
      ["return_collapse", ""],
    ])
      expect(judgesPolicyOutput({ monitor, key }), `${monitor}:${key}`).toBe(false);
  });
});
