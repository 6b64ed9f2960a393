/**
 * A decision transformer in shadow: its return-to-go falls by the robot's reward as in eval. The node's
 * controller (what shadow and canary run) fed from MuJoCo's signals must reproduce eval's rollout of the
 * same package step for step, `finish` included; runShadow must report the returns-to-go its live episodes
 * ended on: the target less each episode's whole return.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TransitionColumns } from "../../src/core/transitions.js";
import { runShadow } from "../../src/deploy/runners/shadow.js";
import { packageController } from "../../src/nodes/policy/package-controller.js";
import { loadPolicyPackage, type PolicyPackage } from "../../src/policy/package.js";
import { dtRunnerFromPackage } from "../../src/policy/package-runner.js";
import { loadRobot } from "../../src/robot/load.js";
import { rolloutPolicy } from "../../src/rl/eval/rollout.js";
import { MujocoEnv } from "../../src/sim/mujoco-env.js";
import { pendulumColumns } from "../policy/fixtures/pendulum-columns.js";
import { trainTinyDtPackage } from "../policy/fixtures/tiny-dt-package.js";

const robot = loadRobot("pendulum");

let dir: string;
let pkg: PolicyPackage;
let data: TransitionColumns;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tether-dt-shadow-"));
  data = pendulumColumns(200, (rng) => -rng.uniform(0, 10));
  await trainTinyDtPackage(join(dir, "dt"), data);
  pkg = loadPolicyPackage(join(dir, "dt"));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("decision transformer in shadow", () => {
  it("the node's controller on MuJoCo's signals matches eval's rollout: same actions, same returns-to-go", async () => {
    const env = await MujocoEnv.create(robot, { seed: 5 });
    try {
      // Eval's handling (evaluate-package.ts): the runner drives, each step's reward lowers its return-to-go.
      const evalRunner = dtRunnerFromPackage(pkg);
      const evalRtg: number[] = [];
      const rollout = await rolloutPolicy(
        env,
        (obs, out) => {
          evalRunner.act(obs, out);
          evalRtg.push(evalRunner.currentReturnToGo);
        },
        {
          episodes: 1,
          seed: 11,
          episodeHooks: { reset: () => evalRunner.reset(), reward: (r) => evalRunner.reward(r) },
        },
      );
      expect(rollout.steps).toBeGreaterThan(20);

      // The same trajectory through the node's controller, which sees only the signals.
      const runner = dtRunnerFromPackage(pkg);
      const controller = packageController(runner, robot.spec);
      controller.reset?.();
      env.reset(11);
      const out = new Float64Array(1);
      for (let t = 0; t < rollout.steps; t++) {
        controller.act(env.observe(), env.signals(), out);
        expect(out[0], `action at step ${t}`).toBeCloseTo(rollout.actions[t], 5);
        expect(runner.currentReturnToGo, `return-to-go at step ${t}`).toBeCloseTo(evalRtg[t], 3);
        env.step(rollout.actions.subarray(t, t + 1));
      }
      // The rewards arrived: the return-to-go fell (pendulum rewards are mostly positive, at most 1).
      expect(evalRtg[evalRtg.length - 1]).toBeLessThan(evalRtg[0] - 1);
      // `finish` (what shadow and canary call at an episode's end) takes the last step's reward, which eval
      // gave after its last action: both end on the target less the episode's return.
      controller.finish?.(env.signals());
      expect(runner.currentReturnToGo).toBeCloseTo(evalRunner.currentReturnToGo, 9);
      // It leaves nothing behind: after the reset the same episode gets the same actions.
      controller.reset?.();
      env.reset(11);
      for (let t = 0; t < rollout.steps; t++) {
        controller.act(env.observe(), env.signals(), out);
        expect(out[0], `action at step ${t} of the episode after finish`).toBeCloseTo(rollout.actions[t], 5);
        env.step(rollout.actions.subarray(t, t + 1));
      }
    } finally {
      env.close();
    }
  }, 120_000);

  it("runShadow lowers the transformer's return-to-go by the live rewards", async () => {
    const ctx = {
      robot,
      pkg,
      version: "v0",
      dataset: data,
      datasetDir: dir,
      runLogDir: join(dir, "runlogs"),
      episodes: 2,
      seed: 0,
      fqeSteps: 0,
    };
    const r = await runShadow(ctx, { tolerance: 0.25, behavior: "medium" });
    const target = r.details.dt_target_return as number;
    const end = r.details.dt_return_to_go_end as number;
    expect(target).toBe(pkg.transformer!.targetReturn);
    // target - end is the mean live episode return, every step's reward counted (the last one too, which
    // arrives after the episode's last tick): pendulum rewards are at most 1 per tick.
    const ticksPerEpisode = (r.details.live_ticks as number) / 2;
    expect(Math.abs(target - end - (r.details.live_mean_return as number))).toBeLessThan(1e-6);
    expect(target - end).toBeGreaterThan(1);
    expect(target - end).toBeLessThanOrEqual(ticksPerEpisode);
    expect(r.details.commands_published).toBe(0);
  }, 240_000);
});
