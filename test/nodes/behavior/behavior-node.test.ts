import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import { behaviorNode } from "../../../src/nodes/behavior/behavior-node.js";
import { SignalAssembler } from "../../../src/nodes/behavior/signal-assembler.js";
import { loadRobot } from "../../../src/robot/load.js";
import { createEmbeddedContext, type EmbeddedContext } from "../../../src/ros/embedded/context.js";
import { LATCHED_QOS } from "../../../src/ros/node.js";
import type { LogRecord } from "../../../src/ros/logger.js";

const spec = loadRobot("reacher2").spec;
let ctx: EmbeddedContext;
afterEach(() => ctx?.shutdown());

const state = (names: string[], position: number[]) => ({
  header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "" },
  name: names,
  position,
  velocity: position.map(() => 0),
  effort: position.map(() => 0),
});

describe("SignalAssembler", () => {
  it("matches joints by name in any order and reports missing ones", () => {
    const a = new SignalAssembler(spec);
    expect(a.setJointState(state(["elbow_joint", "extra", "shoulder_joint"], [0.2, 9, 0.1]))).toEqual([]);
    expect(a.signals[a.layout.index.get("position.shoulder_joint")!]).toBe(0.1);
    expect(a.signals[a.layout.index.get("position.elbow_joint")!]).toBe(0.2);
    expect(a.setJointState(state(["shoulder_joint"], [0.3]))).toEqual(["elbow_joint"]);
    expect(a.setTask("goal", [0.05, -0.05])).toBe(true);
    expect(a.signals[a.layout.index.get("task.goal.y")!]).toBe(-0.05);
    expect(a.setTask("goal", [1])).toBe(false);
  });

  it("accepts complete joint states and warns once, naming topic and joints, about incomplete ones", () => {
    const a = new SignalAssembler(spec);
    const warnings: string[] = [];
    const warn = (t: string) => warnings.push(t);
    expect(a.acceptJointState(state(["shoulder_joint"], [0.3]), "/joint_states", warn)).toBe(false);
    expect(a.acceptJointState(state(["shoulder_joint"], [0.4]), "/joint_states", warn)).toBe(false);
    expect(warnings).toEqual(["/joint_states lacks joint(s) elbow_joint: not acting"]);
    expect(
      a.acceptJointState(state(["shoulder_joint", "elbow_joint"], [0.1, 0.2]), "/joint_states", warn),
    ).toBe(true);
    expect(a.signals[a.layout.index.get("position.elbow_joint")!]).toBe(0.2);
  });
});

describe("behavior node", () => {
  it("publishes commands in actuator units once the task is known, one per joint state", async () => {
    const logs: LogRecord[] = [];
    ctx = createEmbeddedContext({ logSink: (r) => logs.push(r) });
    await behaviorNode(
      ctx.createNode("behavior", { parameters: { robot: "reacher2", level: "expert", seed: 1 } }),
    );
    const sim = ctx.createNode("fake_sim");
    const cmds: number[][] = [];
    sim.createSubscription("std_msgs/msg/Float64MultiArray", "/forward_effort_controller/commands", {}, (m) =>
      cmds.push(Array.from(m.data)),
    );
    const js = sim.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
    js.publish(state(["shoulder_joint", "elbow_joint"], [0.5, 0.5]));
    ctx.spinSome();
    expect(cmds).toEqual([]); // no goal yet
    expect(logs.some((l) => /waiting for task topic\(s\) goal/.test(l.message))).toBe(true);
    sim
      .createPublisher("std_msgs/msg/Float64MultiArray", "/goal", { qos: LATCHED_QOS })
      .publish({ data: [0.1, 0.1] });
    sim.createPublisher("std_msgs/msg/Int32", "/episode", { qos: LATCHED_QOS }).publish({ data: 0 });
    ctx.spinSome();
    js.publish(state(["elbow_joint", "shoulder_joint"], [0.5, 0.5]));
    js.publish(state(["shoulder_joint", "elbow_joint"], [0.5, 0.5]));
    ctx.spinSome();
    expect(cmds).toHaveLength(2);
    const ranges = spec.actuators.map((a) => a.range);
    for (const c of cmds) {
      expect(c).toHaveLength(2);
      c.forEach((v, i) => expect(v >= ranges[i][0] && v <= ranges[i][1]).toBe(true));
    }
  });

  it("rejects an unknown level naming the parameter", async () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    const n = ctx.createNode("behavior", { parameters: { level: "godlike" } });
    await expect(behaviorNode(n)).rejects.toThrow(ConfigError);
    const n2 = ctx.createNode("behavior2", { parameters: { level: "godlike" } });
    await expect(behaviorNode(n2)).rejects.toThrow(/level: unknown level "godlike"/);
  });
});
