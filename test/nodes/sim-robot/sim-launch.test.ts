import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { interpretLaunchFile } from "../../../src/launch/interpreter.js";
import { startLaunch } from "../../../src/launch/runner.js";
import { NODE_REGISTRY } from "../../../src/nodes/registry.js";
import { embeddedRuntime } from "../../../src/ros/runtime.js";
import { secondsFromTime } from "../../../src/msgs/time.js";
import type { Clock, Float64MultiArray, Int32Msg, JointState } from "../../../src/msgs/types.js";
import { LATCHED_QOS } from "../../../src/ros/node.js";
import { loadRobot } from "../../../src/robot/load.js";

const SIM_LAUNCH = fileURLToPath(new URL("../../../launch/sim.launch.xml", import.meta.url));

const until = async (cond: () => boolean, ms = 30000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("launch/sim.launch.xml", () => {
  it("runs sim_robot and behavior in lock-step for 4.2 s of sim time with the expected topics and rates", async () => {
    const runtime = embeddedRuntime({ logSink: () => {} });
    const ctx = runtime.embedded!;
    const handle = await startLaunch(
      interpretLaunchFile(SIM_LAUNCH, { args: { robot: "reacher2", level: "expert", seed: "3" } }),
      {
        runtime,
        registry: NODE_REGISTRY,
        log: () => {},
      },
    );
    const probe = await runtime.createNode("probe");
    const states: JointState[] = [];
    const commands: Float64MultiArray[] = [];
    const clocks: number[] = [];
    const goals: number[][] = [];
    const episodes: number[] = [];
    const deep = { depth: 1000 };
    probe.createSubscription("sensor_msgs/msg/JointState", "/joint_states", { qos: deep }, (m) =>
      states.push(m),
    );
    probe.createSubscription(
      "std_msgs/msg/Float64MultiArray",
      "/forward_effort_controller/commands",
      { qos: deep },
      (m) => commands.push(m),
    );
    probe.createSubscription(
      "rosgraph_msgs/msg/Clock",
      "/clock",
      { qos: { ...deep, reliability: "best_effort" } },
      (m: Clock) => clocks.push(secondsFromTime(m.clock)),
    );
    probe.createSubscription("std_msgs/msg/Float64MultiArray", "/goal", { qos: LATCHED_QOS }, (m) =>
      goals.push(Array.from(m.data)),
    );
    probe.createSubscription("std_msgs/msg/Int32", "/episode", { qos: LATCHED_QOS }, (m: Int32Msg) =>
      episodes.push(m.data),
    );
    await until(() => clocks.length > 0 && clocks[clocks.length - 1] >= 4.2);
    const graph = ctx.graph();
    await handle.shutdown();

    const types = Object.fromEntries(graph.topics.map((t) => [t.name, t.type]));
    expect(types).toEqual({
      "/clock": "rosgraph_msgs/msg/Clock",
      "/episode": "std_msgs/msg/Int32",
      "/forward_effort_controller/commands": "std_msgs/msg/Float64MultiArray",
      "/goal": "std_msgs/msg/Float64MultiArray",
      "/joint_states": "sensor_msgs/msg/JointState",
    });
    expect(graph.nodes.map((n) => n.fullName)).toEqual(["/behavior", "/probe", "/sim_robot"]);

    // 50 Hz in sim time: consecutive stamps 20 ms apart, /clock matching the state stamps.
    const stamps = states.map((s) => secondsFromTime(s.header.stamp));
    for (let i = 1; i < stamps.length; i++) expect(stamps[i] - stamps[i - 1]).toBeCloseTo(0.02, 9);
    expect(stamps.length).toBeGreaterThanOrEqual(210);
    expect(clocks.slice(0, 10)).toEqual(stamps.slice(0, 10));
    // Lock-step: one command per state, in actuator units within the ranges.
    expect(Math.abs(commands.length - states.length)).toBeLessThanOrEqual(1);
    const ranges = loadRobot("reacher2").spec.actuators.map((a) => a.range);
    for (const c of commands)
      c.data.forEach((v, i) => expect(v >= ranges[i][0] && v <= ranges[i][1]).toBe(true));
    expect(states[0].name).toEqual(["shoulder_joint", "elbow_joint"]);
    // 200-step episodes at 50 Hz: 4.2 s covers episodes 0 and 1, each with a latched goal.
    expect(episodes.slice(0, 2)).toEqual([0, 1]);
    expect(goals.length).toBe(episodes.length);
    for (const g of goals) expect(g).toHaveLength(2);
    // The expert controller moves the arm: the state changes.
    expect(states.at(-1)?.position).not.toEqual(states[0].position);
  }, 60_000);

  it("stops after `episodes` episodes", async () => {
    const runtime = embeddedRuntime({ logSink: () => {} });
    const handle = await startLaunch(
      interpretLaunchFile(SIM_LAUNCH, { args: { episodes: "1", level: "random" } }),
      {
        runtime,
        registry: NODE_REGISTRY,
        log: () => {},
      },
    );
    const probe = await runtime.createNode("probe");
    let n = 0;
    probe.createSubscription(
      "sensor_msgs/msg/JointState",
      "/joint_states",
      { qos: { depth: 1000 } },
      () => n++,
    );
    let last = -1;
    await until(() => {
      const settled = n > 0 && n === last;
      last = n;
      return settled && runtime.embedded!.idle();
    });
    await handle.shutdown();
    // The initial state plus all 200 steps of episode 0: the state after the last step is published too.
    expect(n).toBe(201);
  }, 60_000);
});
