import { describe, expect, it } from "vitest";
import { FAULTS, runFault } from "../../../src/safety/loop/faults.js";
import { CommandChecker } from "../../../src/safety/loop/command-checker.js";
import { SYNTHETIC_ARM } from "../../../src/safety/loop/synthetic-plant.js";

describe("fault injection on the running loop", () => {
  it("runs clean without a fault: the policy drives every tick", () => {
    const r = runFault("none");
    expect(r.ticks_not_policy).toBe(0);
    expect(r.unsafe_commands).toBe(0);
    expect(r.published).toBe(200);
  });

  for (const fault of FAULTS.filter((f) => f !== "none")) {
    it(`${fault}: fallback or e-stop within one control period, no unsafe command`, () => {
      const r = runFault(fault);
      expect(r.reaction_periods, JSON.stringify(r)).not.toBeNull();
      expect(r.reaction_periods as number).toBeLessThanOrEqual(1);
      expect(r.unsafe_commands, r.unsafe_reasons.join("; ")).toBe(0);
      expect(r.published).toBeGreaterThan(100);
    });
  }

  it("names the monitor that caught each fault", () => {
    const frozen = runFault("frozen_sensor");
    expect(frozen.monitors).toContain("stale_state");
    expect(frozen.reacted_with).toBe("hold");
    expect(frozen.estop).toBe(true); // held for 5 × max_state_age_ms (100 ms = 50 ticks), then e-stop
    expect(runFault("latency_spike").monitors).toContain("control_deadline");
    expect(runFault("ood_state").monitors).toContain("state_support");
    expect(runFault("policy_crash").monitors).toContain("policy");
    const breach = runFault("joint_limit_breach");
    expect(breach.estop).toBe(true);
    expect(breach.reacted_with).toBe("estop");
  });
});

describe("CommandChecker", () => {
  const checker = (): CommandChecker =>
    new CommandChecker({ spec: SYNTHETIC_ARM, box: { lo: [-0.8, -0.8], hi: [0.8, 0.8] }, maxDelta: 0.2 });

  it("flags non-finite, out-of-limit, out-of-box and too-fast commands", () => {
    const c = checker(); // units: hard [-1.8, 1.8], box [-1.6, 1.6], step 0.2 * 4 / 2 = 0.4
    expect(c.check([0, 0], false, 0)).toBe(true);
    expect(c.check([NaN, 0], false, 1)).toBe(false);
    expect(c.check([1.9, 0], false, 2)).toBe(false);
    c.check([1.4, 0], false, 3); // too fast after 1.9, counted
    expect(c.check([1.7, 0], false, 4)).toBe(false); // outside the box
    c.check([0.35, 0], false, 5); // too fast, counted
    expect(c.check([0.7, 0], false, 6)).toBe(true); // +0.35 <= 0.4
    expect(c.check([0.2, 0], false, 7)).toBe(false); // -0.5 > 0.4
    expect(c.unsafe).toBe(6);
    expect(c.reasons[0]).toMatch(/tick 1: command\[0\] = NaN/);
  });

  it("accepts only zero effort as an e-stop command", () => {
    const c = checker();
    expect(c.check([0, 0], true, 0)).toBe(true);
    expect(c.check([0.1, 0], true, 1)).toBe(false);
  });
});
