/**
 * `tether finetune`'s default chain is shield + brake + monitors + e-stop: an injected exploration that pumps
 * the real MuJoCo pendulum past its 15 rad/s velocity limit when only the shield stands in its way is braked
 * (brake interventions, no e-stop) when the job runs with its defaults.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../../src/core/env.js";
import { runFinetuneJob, type FinetuneJobOptions } from "../../../src/nodes/finetune/finetune-job.js";
import { loadRobot } from "../../../src/robot/load.js";
import type { Learner } from "../../../src/rl/algos/learner.js";
import { MujocoEnv } from "../../../src/sim/mujoco-env.js";
import { tinyPackage } from "../../fixtures/tiny-package.js";

const root = mkdtempSync(join(tmpdir(), "tether-finetune-chain-"));
let datasetDir: string;
let modelDir: string;
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  ({ datasetDir, modelDir } = await tinyPackage(root, { robot: "pendulum" }));
}, 120_000);

const VELOCITY_LIMIT = 15; // robots/pendulum/robot.yaml safety.joints.pendulum_joint.velocity
const OBS_VELOCITY = 2; // observation: cos, sin, angular_velocity

/** Exploration gone wrong: full torque along the current velocity, every step (energy pumping). */
function pumping(learner: Learner): Learner {
  return new Proxy(learner, {
    get(target, prop, receiver) {
      if (prop === "act")
        return (obs: Float32Array) => {
          const a = target.act(obs);
          a.fill(obs[OBS_VELOCITY] >= 0 ? 1 : -1);
          return a;
        };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Records the largest |angular velocity| the env reports. */
function speedometer(env: Env, peak: { v: number }): Env {
  const see = (obs: Float32Array): Float32Array => {
    peak.v = Math.max(peak.v, Math.abs(obs[OBS_VELOCITY]));
    return obs;
  };
  return {
    obsDim: env.obsDim,
    actDim: env.actDim,
    reset: async (seed) => see(await env.reset(seed)),
    step: async (a) => {
      const r = await env.step(a);
      see(r.observation);
      return r;
    },
    close: () => env.close(),
  };
}

const budget = (out: string): FinetuneJobOptions => ({
  model: modelDir,
  robot: "pendulum",
  dataset: datasetDir,
  envSteps: 1000,
  ratio: 0.5,
  updatesPerStep: 0,
  evalEvery: 0,
  evalEpisodes: 1,
  batchSize: 16,
  seed: 0,
  explorationStd: 0.1,
  out: join(root, out),
  plot: false,
  saveVersions: "improved",
  wrapLearner: pumping,
});

describe("finetune's default chain (shield + brake + monitors + e-stop)", () => {
  it("passes the velocity limit shield-only under a pumping exploration: the case the brake is for", async () => {
    const robot = loadRobot("pendulum");
    const peak = { v: 0 };
    const env = speedometer(await MujocoEnv.create(robot, { seed: 0 }), peak);
    try {
      const r = await runFinetuneJob({ ...budget("shield-only"), env, evalEnv: env, monitors: false });
      expect(r.env_steps).toBe(1000);
      expect(r.shield_counts.brake).toBe(0);
    } finally {
      env.close();
    }
    expect(peak.v).toBeGreaterThan(VELOCITY_LIMIT);
  }, 120_000);

  it("brakes the same exploration by default: brake interventions, the monitors on, no e-stop", async () => {
    const r = await runFinetuneJob(budget("default-chain"));
    expect(r.estop).toBeNull();
    expect(r.env_steps).toBe(1000);
    expect(r.shield_counts.brake).toBeGreaterThan(0);
    expect(r.filtered).toBeGreaterThanOrEqual(r.shield_counts.brake);
    // The monitors ran on every tick: the control sources count them, which the shield-only path never does.
    const ticks = Object.values(r.control_sources).reduce((a, b) => a + b, 0);
    expect(ticks).toBe(r.shield_counts.ticks);
    expect(r.control_sources.estop ?? 0).toBe(0);
    expect(r.violations).toBe(0);
  }, 120_000);
});
