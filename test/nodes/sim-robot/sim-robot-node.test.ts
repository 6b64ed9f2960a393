import { afterEach, describe, expect, it } from "vitest";
import { simRobotNode } from "../../../src/nodes/sim-robot/sim-robot-node.js";
import { createEmbeddedContext, type EmbeddedContext } from "../../../src/ros/embedded/context.js";
import type { LogRecord } from "../../../src/ros/logger.js";
import type { JointState } from "../../../src/msgs/types.js";
import { secondsFromTime } from "../../../src/msgs/time.js";

let ctx: EmbeddedContext;
afterEach(() => ctx?.shutdown());

const until = async (cond: () => boolean, ms = 30000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("sim_robot node (lock-step)", () => {
  it("waits for a controller, steps once per command, ignores malformed commands", async () => {
    const logs: LogRecord[] = [];
    ctx = createEmbeddedContext({ logSink: (r) => logs.push(r) });
    const handle = await simRobotNode(
      ctx.createNode("sim_robot", { parameters: { robot: "reacher2", seed: 5 } }),
    );
    const ctl = ctx.createNode("controller");
    const states: JointState[] = [];
    ctl.createSubscription("sensor_msgs/msg/JointState", "/joint_states", {}, (m) => states.push(m));
    await new Promise((r) => setTimeout(r, 30));
    expect(states).toHaveLength(0); // no controller connected yet
    const cmd = ctl.createPublisher("std_msgs/msg/Float64MultiArray", "/forward_effort_controller/commands");
    await until(() => states.length === 1);
    expect(secondsFromTime(states[0].header.stamp)).toBe(0);
    cmd.publish({ data: [0.1, -0.1] });
    cmd.publish({ data: [0.1] });
    cmd.publish({ data: [Number.NaN, 0] });
    await until(() => states.length === 2 && ctx.idle());
    await new Promise((r) => setTimeout(r, 20));
    expect(states).toHaveLength(2);
    expect(secondsFromTime(states[1].header.stamp)).toBeCloseTo(0.02, 9);
    expect(
      logs.filter((l) => /ignoring a command of 1 value\(s\) \(need 2 finite values/.test(l.message)),
    ).toHaveLength(1);
    await handle.close?.();
  }, 60_000);

  it("waits for wait_for_subscribers state subscribers, so a late recorder still gets the first state", async () => {
    const logs: LogRecord[] = [];
    ctx = createEmbeddedContext({ logSink: (r) => logs.push(r) });
    const handle = await simRobotNode(
      ctx.createNode("sim_robot", { parameters: { robot: "reacher2", wait_for_subscribers: 2 } }),
    );
    const ctl = ctx.createNode("controller");
    const seenByController: JointState[] = [];
    ctl.createSubscription("sensor_msgs/msg/JointState", "/joint_states", {}, (m) =>
      seenByController.push(m),
    );
    ctl.createPublisher("std_msgs/msg/Float64MultiArray", "/forward_effort_controller/commands");
    await new Promise((r) => setTimeout(r, 50));
    expect(seenByController).toHaveLength(0); // a controller alone is not enough
    const recorder = ctx.createNode("recorder");
    const seenByRecorder: JointState[] = [];
    recorder.createSubscription("sensor_msgs/msg/JointState", "/joint_states", {}, (m) =>
      seenByRecorder.push(m),
    );
    await until(() => seenByRecorder.length === 1);
    expect(secondsFromTime(seenByRecorder[0].header.stamp)).toBe(0);
    expect(seenByController).toHaveLength(1);
    expect(logs.some((l) => /starting with/.test(l.message))).toBe(false);
    await handle.close?.();
  }, 60_000);

  it("starts with fewer subscribers after wait_timeout_s, with a warning naming the shortfall", async () => {
    const logs: LogRecord[] = [];
    ctx = createEmbeddedContext({ logSink: (r) => logs.push(r) });
    const handle = await simRobotNode(
      ctx.createNode("sim_robot", {
        parameters: { robot: "reacher2", wait_for_subscribers: 2, wait_timeout_s: 0.1 },
      }),
    );
    const ctl = ctx.createNode("controller");
    const states: JointState[] = [];
    ctl.createSubscription("sensor_msgs/msg/JointState", "/joint_states", {}, (m) => states.push(m));
    ctl.createPublisher("std_msgs/msg/Float64MultiArray", "/forward_effort_controller/commands");
    await until(() => states.length === 1);
    const warnings = logs.filter((l) =>
      /starting with 1 of 2 subscriber\(s\) on \/joint_states/.test(l.message),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0].level).toBe("warn");
    await handle.close?.();
  }, 60_000);

  it("rejects an unknown mode", async () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    await expect(simRobotNode(ctx.createNode("s", { parameters: { mode: "turbo" } }))).rejects.toThrow(
      /mode: unknown mode "turbo" \(expected lockstep or realtime\)/,
    );
  });
});
