import { describe, expect, it } from "vitest";
import { loadRobot } from "../../src/robot/load.js";
import { runShieldedEpisodes } from "../../src/deploy/runners/shielded-episodes.js";
import { hardLimitsFromSpec } from "../../src/safety/clamps/hard-limits.js";
import { Shield } from "../../src/safety/clamps/shield.js";
import type { Controller } from "../../src/safety/fallback.js";

// A policy that drives reacher2's elbow into its stop: the joint-limit monitor's margin band starts at 2.85 rad.
const pushElbow: Controller = { act: (_o, _s, out) => out.set([0, 1]) };

describe("runShieldedEpisodes with the braking step", () => {
  const robot = loadRobot("reacher2");
  const run = (brake: boolean) =>
    runShieldedEpisodes({
      robot,
      shield: new Shield({ limits: hardLimitsFromSpec(robot.spec) }),
      policy: pushElbow,
      episodes: 1,
      seed: 3,
      stage: "sim-eval",
      brake,
    });

  it("keeps the elbow out of its margin band (no joint_limits event) where the same policy without it enters it", async () => {
    const off = await run(false);
    expect(off.brakeTicks).toBe(0);
    expect(off.events.some((e) => e.monitor === "joint_limits" && e.key === "elbow_joint.position")).toBe(
      true,
    );
    const on = await run(true);
    expect(on.brakeTicks).toBeGreaterThan(0);
    expect(on.events.filter((e) => e.monitor === "joint_limits")).toEqual([]);
    expect(on.estops).toBe(0);
  }, 60_000);
});
