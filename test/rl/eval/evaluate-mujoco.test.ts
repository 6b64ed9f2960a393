import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { writePolicyPackage } from "../../../src/policy/package.js";
import { computeActionQuantiles } from "../../../src/policy/support.js";
import { loadRobot } from "../../../src/robot/load.js";
import { compileTask } from "../../../src/robot/task-functions.js";
import { evaluatePackage } from "../../../src/rl/eval/evaluate-package.js";
import { MujocoEnv } from "../../../src/sim/mujoco-env.js";

const dir = mkdtempSync(join(tmpdir(), "tether-eval-mj-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("evaluatePackage in MujocoEnv (smoke)", () => {
  it("runs a package's policy on pendulum and reports a normalized-score interval", async () => {
    const robot = loadRobot("pendulum");
    const task = compileTask(robot.spec);
    const rng = new Rng(3);
    const dims = [task.obsDim, 16, task.actDim];
    const layers = dims.slice(1).map((outDim, l) => ({
      inDim: dims[l],
      outDim,
      activation: (l === dims.length - 2 ? "tanh" : "relu") as "tanh" | "relu",
      weight: Float32Array.from({ length: dims[l] * outDim }, () => rng.uniform(-0.5, 0.5)),
      bias: new Float32Array(outDim),
    }));
    const pkg = writePolicyPackage(join(dir, "p"), {
      robot: robot.spec.name,
      obsNames: task.obsNames,
      actNames: task.actNames,
      actionLow: robot.spec.actuators.map((a) => a.range[0]),
      actionHigh: robot.spec.actuators.map((a) => a.range[1]),
      actor: {
        kind: "deterministic",
        obsDim: task.obsDim,
        actDim: task.actDim,
        network: { layers },
        obsMean: new Float32Array(task.obsDim),
        obsStd: new Float32Array(task.obsDim).fill(1),
      },
      support: {
        quantiles: computeActionQuantiles(
          Float32Array.from({ length: 100 * task.actDim }, () => rng.uniform(-0.5, 0.5)),
          task.actDim,
        ),
      },
      provenance: { algorithm: "bc", datasetHash: "none", config: {}, metrics: {} },
    });
    const env = await MujocoEnv.create(robot, { seed: 0 });
    try {
      const report = await evaluatePackage(pkg, env, {
        episodes: 2,
        seed: 0,
        normalizedScore: (r) => task.normalizedScore(r),
        bootstrapResamples: 200,
      });
      expect(report.returns).toHaveLength(2);
      for (const r of report.returns) expect(Number.isFinite(r)).toBe(true);
      for (const len of report.lengths) expect(len).toBeLessThanOrEqual(robot.spec.control.max_episode_steps);
      expect(report.normalized_score).not.toBeNull();
      expect(report.normalized_score!.low).toBeLessThanOrEqual(report.normalized_score!.high);
      expect(report.outside_quantile_box).toBeGreaterThanOrEqual(0);
      expect(report.outside_quantile_box).toBeLessThanOrEqual(1);
      // Same seed, same package: identical returns (deterministic policy, deterministic sim).
      const again = await evaluatePackage(pkg, env, { episodes: 2, seed: 0, bootstrapResamples: 200 });
      expect(again.returns).toEqual(report.returns);
    } finally {
      env.close();
    }
  });
});
