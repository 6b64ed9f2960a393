import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConfigError, NonFiniteError, ShapeMismatchError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/rng.js";
import { scaleAction } from "../../src/robot/task-functions.js";
import { MujocoEnv } from "../../src/sim/mujoco-env.js";
import { robotVariant, sameBits } from "./helpers.js";

const opened: MujocoEnv[] = [];
async function env(robot: string, seed = 0): Promise<MujocoEnv> {
  const e = await MujocoEnv.create(robot, { seed });
  opened.push(e);
  return e;
}
afterAll(() => opened.forEach((e) => e.close()));

function rollout(
  e: MujocoEnv,
  seed: number,
  steps: number,
): { obs: number[]; rewards: number[]; signals: number[] } {
  const rng = new Rng(seed + 1000);
  const out = { obs: [...e.reset(seed)], rewards: [] as number[], signals: [...e.signals()] };
  const action = new Float64Array(e.actDim);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < action.length; i++) action[i] = rng.uniform(-1, 1);
    const r = e.step(action);
    out.obs.push(...r.observation);
    out.rewards.push(r.reward);
    out.signals.push(...r.info.signals);
  }
  return out;
}

describe("MujocoEnv", () => {
  it.each(["pendulum", "reacher2", "pusher"])(
    "is bit-identical for the same seed and actions (%s)",
    async (robot) => {
      const a = rollout(await env(robot), 7, 60);
      const b = rollout(await env(robot, 99), 7, 60); // a different construction seed must not matter
      expect(sameBits(a.obs, b.obs)).toBe(true);
      expect(sameBits(a.rewards, b.rewards)).toBe(true);
      expect(sameBits(a.signals, b.signals)).toBe(true);
      const c = rollout(await env(robot), 8, 60);
      expect(sameBits(a.obs, c.obs)).toBe(false);
    },
  );

  it("draws the initial state from robot.yaml's reset ranges", async () => {
    const e = await env("reacher2");
    for (let seed = 0; seed < 20; seed++) {
      e.reset(seed);
      const s = e.signals();
      const at = (n: string): number => s[e.task.layout.index.get(n)!];
      expect(Math.abs(at("task.goal.x"))).toBeLessThanOrEqual(0.16);
      expect(Math.abs(at("task.goal.y"))).toBeLessThanOrEqual(0.16);
      expect(Math.abs(at("position.elbow_joint"))).toBeLessThanOrEqual(1.5);
      expect(at("action.shoulder_effort")).toBe(0);
    }
    expect(e.time).toBe(0);
  });

  it("lets a task input be set, as when a new goal arrives", async () => {
    const e = await env("reacher2");
    e.reset(0);
    e.setTaskValue("goal.x", 0.1);
    e.setTaskValue("goal.y", -0.05);
    const obs = e.observe();
    expect(obs[6]).toBeCloseTo(0.1, 7);
    expect(obs[7]).toBeCloseTo(-0.05, 7);
    expect(e.step([0, 0]).info.signals[e.task.layout.index.get("task.goal.y")!]).toBe(-0.05);
    expect(() => e.setTaskValue("goal.z", 1)).toThrow(/no task field "goal.z"/);
    expect(() => e.setTaskValue("goal.x", NaN)).toThrow(NonFiniteError);
  });

  it("scales normalized actions to the actuator range and reports the command in signals", async () => {
    const e = await env("pendulum");
    const effort = e.task.layout.index.get("action.pendulum_effort")!;
    const cases: [number, number][] = [
      [1, 2],
      [-1, -2],
      [0.5, 1],
      [0, 0],
      [3, 2], // clipped
    ];
    for (const [normalized, units] of cases) {
      e.reset(0);
      expect(e.step([normalized]).info.signals[effort]).toBe(units);
    }
    e.reset(0);
    expect(e.stepActuators([1.5]).info.signals[effort]).toBe(1.5);
    expect(e.stepActuators([-7]).info.signals[effort]).toBe(-2);
  });

  it("applies exactly scaleAction() of the spec (property)", async () => {
    const e = await env("reacher2");
    const out = new Float64Array(2);
    const base = e.task.layout.action;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 2, maxLength: 2 }),
        (a) => {
          e.reset(1);
          const s = e.step(a).info.signals;
          scaleAction(e.robot.spec, a, out);
          return s[base] === out[0] && s[base + 1] === out[1];
        },
      ),
      { numRuns: 40 },
    );
  });

  it("advances frame_skip physics steps per tick and truncates at max_episode_steps", async () => {
    const e = await env("pendulum");
    e.reset(3);
    let last;
    for (let t = 0; t < e.maxEpisodeSteps; t++) {
      last = e.step([0]);
      if (t < e.maxEpisodeSteps - 1) expect(last.truncated).toBe(false);
    }
    expect(last!.truncated).toBe(true);
    expect(last!.terminated).toBe(false);
    expect(e.time).toBeCloseTo(e.maxEpisodeSteps / e.robot.spec.control.rate_hz, 9);
  });

  it("terminates on the spec's failure state (puck off the table)", async () => {
    const dir = robotVariant("pusher", {
      spec: (s) => {
        const reset = s.reset as { position: Record<string, number[]>; velocity: Record<string, number[]> };
        reset.position.puck_x = [0.45, 0.45];
        reset.velocity = { puck_x: [2, 2] };
      },
    });
    const e = await env(dir);
    e.reset(0);
    let r = e.step([0, 0]);
    for (let t = 0; t < 20 && !r.terminated; t++) r = e.step([0, 0]);
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(false);
    expect(r.info.termination).toBe("puck_off_table");
  });

  it("rejects a wrong-length action and leaves the state untouched", async () => {
    const e = await env("reacher2");
    e.reset(5);
    e.step([0.3, -0.2]);
    const before = e.signals();
    const time = e.time;
    expect(() => e.step([0.1])).toThrow(ShapeMismatchError);
    expect(() => e.step([0.1, 0.2, 0.3])).toThrow(/expected 2, got 3/);
    expect(() => e.stepActuators([])).toThrow(ShapeMismatchError);
    expect(sameBits(e.signals(), before)).toBe(true);
    expect(e.time).toBe(time);
  });

  it("rejects NaN/Inf actions and leaves the state untouched", async () => {
    const e = await env("reacher2");
    e.reset(5);
    const before = e.signals();
    expect(() => e.step([0.1, NaN])).toThrow(NonFiniteError);
    expect(() => e.step([Infinity, 0])).toThrow(/\[0\] is Infinity/);
    expect(() => e.stepActuators([0, -Infinity])).toThrow(NonFiniteError);
    expect(sameBits(e.signals(), before)).toBe(true);
    expect(e.elapsedSteps).toBe(0);
    // and it still steps normally afterwards
    expect(e.step([0.1, 0.1]).observation).toHaveLength(e.obsDim);
  });

  it("rejects malformed MJCF with the file and MuJoCo's message", async () => {
    const dir = robotVariant("pendulum", { model: (xml) => xml.replace('type="hinge"', 'type="hinj"') });
    const err = await MujocoEnv.create(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`${dir}/model.xml`);
    expect((err as Error).message).toMatch(/invalid keyword: 'hinj'/);
    const broken = robotVariant("pendulum", { model: (xml) => xml.slice(0, xml.indexOf("</worldbody>")) });
    await expect(MujocoEnv.create(broken)).rejects.toThrow(/model\.xml: \(mjcf\): .*XML/);
  });

  it("rejects an MJCF that lacks a spec joint, naming robot.yaml's field", async () => {
    const dir = robotVariant("pendulum", { model: (xml) => xml.replaceAll("pendulum_joint", "hinge") });
    await expect(MujocoEnv.create(dir)).rejects.toThrow(
      /robot\.yaml: joints\.0\.name: joint "pendulum_joint" is not in the MJCF/,
    );
  });

  it("rejects a frame_skip that does not match rate_hz and the MJCF timestep", async () => {
    const dir = robotVariant("pendulum", {
      spec: (s) => ((s.control as Record<string, number>).frame_skip = 5),
    });
    await expect(MujocoEnv.create(dir)).rejects.toThrow(
      /control\.frame_skip: MJCF timestep × frame_skip must equal 1 \/ rate_hz/,
    );
  });
});
