import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { listRobots, loadRobot, parseRobotSpec } from "../../src/robot/load.js";
import { compileTask } from "../../src/robot/task-functions.js";
import { robotTrainingOverrides } from "../../src/rl/algos/registry.js";
import { ALGO_NAMES } from "../../src/rl/algos/learner.js";
import { loadMjcfFile, loadMujocoModule } from "../../src/sim/mujoco.js";

/** A signal vector for `robot` with the named entries set (others 0). */
function signals(
  robot: string,
  values: Record<string, number>,
): { sig: Float64Array; task: ReturnType<typeof compileTask> } {
  const task = compileTask(loadRobot(robot).spec);
  const sig = new Float64Array(task.layout.size);
  for (const [name, v] of Object.entries(values)) {
    const i = task.layout.index.get(name);
    if (i === undefined) throw new Error(`no signal ${name}`);
    sig[i] = v;
  }
  return { sig, task };
}

describe("robots/", () => {
  it("holds the three robots, each loading and validating", () => {
    expect(listRobots()).toEqual(expect.arrayContaining(["pendulum", "reacher2", "pusher"]));
    for (const name of listRobots()) {
      const { spec } = loadRobot(name);
      expect(spec.ros.controller).toBe("forward_effort_controller");
      expect(spec.control.max_episode_steps).toBeLessThanOrEqual(250);
    }
  });

  it("names only real algorithms and config fields in each robot's training overrides", () => {
    for (const name of listRobots()) {
      const robot = loadRobot(name);
      for (const algo of ALGO_NAMES)
        expect(() => robotTrainingOverrides(robot.spec.training, robot.specFile, algo)).not.toThrow();
    }
    expect(robotTrainingOverrides(loadRobot("pusher").spec.training, "pusher", "iql")).toEqual({ beta: 0.1 });
  });

  it("keeps robot.yaml actuator ranges equal to the MJCF ctrlrange", async () => {
    const mj = await loadMujocoModule();
    for (const name of ["pendulum", "reacher2", "pusher"]) {
      const robot = loadRobot(name);
      const model = loadMjcfFile(mj, robot.modelFile);
      robot.spec.actuators.forEach((a) => {
        const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_ACTUATOR.value, a.name);
        expect(
          [model.actuator_ctrlrange[2 * id], model.actuator_ctrlrange[2 * id + 1]],
          `${name} ${a.name}`,
        ).toEqual(a.range);
      });
      model.delete();
    }
  });
});

describe("reward and termination specs (hand-computed)", () => {
  it("pendulum: 1 upright at rest, 0 hanging, penalties for speed and effort", () => {
    const up = signals("pendulum", {});
    expect(up.task.reward(up.sig)).toBe(1);
    const down = signals("pendulum", { "position.pendulum_joint": Math.PI });
    expect(down.task.reward(down.sig)).toBeCloseTo(0, 12);
    const moving = signals("pendulum", {
      "position.pendulum_joint": Math.PI / 2,
      "velocity.pendulum_joint": 2,
      "action.pendulum_effort": 1,
    });
    expect(moving.task.reward(moving.sig)).toBeCloseTo(0.5 - 0.004 - 0.005, 12);
    const obs = new Float64Array(3);
    moving.task.observe(moving.sig, obs);
    expect(obs[0]).toBeCloseTo(0, 12);
    expect(obs[1]).toBeCloseTo(1, 12);
    expect(obs[2]).toBe(2);
    expect(moving.task.terminated(moving.sig)).toBeUndefined();
  });

  it("reacher2: minus fingertip-goal distance minus effort", () => {
    // q = 0: fingertip at (0.24, 0).
    const at = signals("reacher2", { "task.goal.x": 0.24 });
    expect(at.task.reward(at.sig)).toBeCloseTo(0, 12);
    const origin = signals("reacher2", { "action.shoulder_effort": 0.5, "action.elbow_effort": -0.5 });
    expect(origin.task.reward(origin.sig)).toBeCloseTo(-0.24 - 0.1 * 0.5, 12);
    // Elbow at 90°: fingertip at (0.12, 0.12).
    const bent = signals("reacher2", { "position.elbow_joint": Math.PI / 2, "task.goal.x": 0.12 });
    expect(bent.task.reward(bent.sig)).toBeCloseTo(-0.12, 12);
    const obs = new Float64Array(10);
    bent.task.observe(bent.sig, obs);
    expect(obs[8]).toBeCloseTo(0, 12);
    expect(obs[9]).toBeCloseTo(0.12, 12);
  });

  it("pusher: reward from puck-goal and pusher-puck distances; off-table is a failure", () => {
    const s = signals("pusher", { "position.puck_x": 0.1, "task.goal.x": 0.1, "position.gantry_x": 0.1 });
    expect(s.task.reward(s.sig)).toBeCloseTo(1, 12);
    const far = signals("pusher", { "position.puck_x": 0.3, "position.gantry_y": 0.2, "task.goal.y": -0.4 });
    const expected =
      1 - 0.8 * Math.tanh(4 * Math.hypot(0.3, 0.4)) - 0.2 * Math.tanh(4 * Math.hypot(0.3, 0.2));
    expect(far.task.reward(far.sig)).toBeCloseTo(expected, 12);
    expect(far.task.terminated(far.sig)).toBeUndefined();
    for (const [k, v] of [
      ["position.puck_x", 0.51],
      ["position.puck_x", -0.6],
      ["position.puck_y", 0.55],
      ["position.puck_y", -0.501],
    ] as const) {
      const off = signals("pusher", { [k]: v });
      expect(off.task.terminated(off.sig), `${k}=${v}`).toBe("puck_off_table");
    }
    const edge = signals("pusher", { "position.puck_x": 0.5 });
    expect(edge.task.terminated(edge.sig)).toBeUndefined();
  });
});

describe("malformed robot.yaml", () => {
  const text = readFileSync(loadRobot("reacher2").specFile, "utf8");
  const file = "robots/reacher2/robot.yaml";

  it("rejects a non-numeric actuator range naming the file and field", () => {
    const bad = text.replace(/range: \[\s*-0\.5,\s*0\.5\s*\]/, "range: [-0.5, big]");
    expect(bad).not.toBe(text);
    expect(() => parseRobotSpec(bad, file)).toThrow(ConfigError);
    expect(() => parseRobotSpec(bad, file)).toThrow(/robots\/reacher2\/robot\.yaml: actuators\.0\.range\.1/);
  });

  it("rejects an unknown signal in the reward naming reward.expr", () => {
    const bad = text.replace("- 0.1 * sumsq(", "- 0.1 * sumsq(action.wrist_effort, ");
    expect(() => parseRobotSpec(bad, file)).toThrow(/robot\.yaml: reward\.expr: .*action\.wrist_effort/);
  });

  it("rejects an unknown field in the benchmark section naming it", () => {
    const bad = `${text}\nbenchmark:\n  dataset_episode: 1000\n`;
    expect(() => parseRobotSpec(bad, file)).toThrow(/robot\.yaml: benchmark: .*dataset_episode/);
  });

  it("rejects broken YAML with the line", () => {
    expect(() => parseRobotSpec("name: reacher2\n  bad: [", file)).toThrow(/robot\.yaml: line \d+/);
  });
});
