import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { MujocoEnv } from "../../src/sim/mujoco-env.js";
import { robotVariant } from "./helpers.js";

describe("reset.task_valid", () => {
  it("redraws reacher2 goals until they are reachable outside the elbow's safety margin", async () => {
    const env = await MujocoEnv.create("reacher2");
    const { index } = env.task.layout;
    const gx = index.get("task.goal.x") ?? -1;
    const gy = index.get("task.goal.y") ?? -1;
    let minRadius = Infinity;
    for (let seed = 0; seed < 400; seed++) {
      env.reset(seed);
      const s = env.signals();
      minRadius = Math.min(minRadius, Math.hypot(s[gx], s[gy]));
    }
    env.close();
    // Uniform draws in the ±0.16 box fall inside 0.07 m about 15% of the time: 400 resets would show one.
    expect(minRadius).toBeGreaterThanOrEqual(0.07);
  });

  it("rejects a condition no draw can meet, naming the file and field", async () => {
    const dir = robotVariant("reacher2", {
      spec: (spec) => {
        (spec.reset as Record<string, unknown>).task_valid = "task.goal.x > 1";
      },
    });
    await expect(MujocoEnv.create(dir)).rejects.toThrow(ConfigError);
    await expect(MujocoEnv.create(dir)).rejects.toThrow(
      /robot\.yaml: reset\.task_valid: no valid task in 1000 draws/,
    );
  });

  it("rejects a condition over unknown signals when the spec loads", async () => {
    const dir = robotVariant("reacher2", {
      spec: (spec) => {
        (spec.reset as Record<string, unknown>).task_valid = "task.goal.z > 0";
      },
    });
    await expect(MujocoEnv.create(dir)).rejects.toThrow(
      /reset\.task_valid: unknown variable "task\.goal\.z"/,
    );
  });
});
