/**
 * sim_robot as a real ROS 2 node in a namespace with remaps, driven by `ros2 topic pub` and watched by
 * `ros2 topic echo`: in lock-step it steps once per command, so the echoed states must match the same
 * node stepped by the same commands on the embedded bus.
 */
import { afterAll, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { simRobotNode } from "../../src/nodes/sim-robot/sim-robot-node.js";
import { createEmbeddedContext } from "../../src/ros/embedded/context.js";
import type { JointState } from "../../src/msgs/types.js";
import {
  describeRos2,
  nodeList,
  ros2Env,
  run,
  start,
  startTether,
  waitUntil,
  type Proc,
} from "./ros2-env.js";

const DOMAIN = 214;
const COMMAND = [0.5, -0.25];

interface EchoedState {
  header: { stamp: { sec: number; nanosec: number } };
  position: number[];
  velocity: number[];
}

/** The state after `ticks` commands, from the same node on the embedded bus. */
async function embeddedStateAfter(ticks: number): Promise<JointState> {
  const ctx = createEmbeddedContext({ logSink: () => {} });
  try {
    const handle = await simRobotNode(ctx.createNode("sim_robot", { parameters: { robot: "reacher2" } }));
    const ctl = ctx.createNode("controller");
    const states: JointState[] = [];
    ctl.createSubscription("sensor_msgs/msg/JointState", "/joint_states", {}, (m) => states.push(m));
    const cmd = ctl.createPublisher("std_msgs/msg/Float64MultiArray", "/forward_effort_controller/commands");
    await waitUntil(() => states.length === 1, "the first embedded state");
    for (let i = 0; i < ticks; i++) {
      cmd.publish({ data: COMMAND });
      ctx.spinSome();
    }
    await waitUntil(() => states.length === ticks + 1 && ctx.idle(), "the embedded states");
    await handle.close?.();
    return states[ticks];
  } finally {
    ctx.shutdown();
  }
}

describeRos2("sim_robot under --ros, driven by ROS 2's CLI", () => {
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) await p.interrupt();
  });

  it("runs in its namespace with remapped topics and follows commands from ros2 topic pub", async () => {
    const env = ros2Env(DOMAIN);
    const sim = startTether(
      [
        "node",
        "run",
        "sim_robot",
        "--ros",
        "--ros-args",
        "-r",
        "__ns:=/arm",
        "-r",
        "/joint_states:=/arm/states",
        "-r",
        "/forward_effort_controller/commands:=/arm/effort",
        "-p",
        "robot:=reacher2",
      ],
      env,
    );
    procs.push(sim);
    await sim.waitFor(/reacher2 in lockstep mode/, 60_000);
    await waitUntil(async () => (await nodeList(env)).includes("/arm/sim_robot"), "/arm/sim_robot");
    const mode = await run("ros2", ["param", "get", "--no-daemon", "/arm/sim_robot", "mode"], env);
    expect(mode.out.trim()).toBe("String value is: lockstep");

    const echo = start(
      "ros2",
      ["topic", "echo", "--no-daemon", "/arm/states", "sensor_msgs/msg/JointState"],
      env,
    );
    procs.push(echo);
    const pub = await run(
      "ros2",
      [
        "topic",
        "pub",
        "--times",
        "30",
        "-r",
        "20",
        "-w",
        "1",
        "/arm/effort",
        "std_msgs/msg/Float64MultiArray",
        `{data: [${COMMAND.join(", ")}]}`,
      ],
      env,
      60_000,
    );
    expect(pub.code, pub.out).toBe(0);
    // Lock-step: the last command's state follows within a tick; then stop echoing.
    await new Promise((r) => setTimeout(r, 1500));
    await echo.interrupt();

    const states = parseAllDocuments(echo.output().replaceAll(/^---$/gm, "\n---\n"))
      .map((d) => d.toJS() as EchoedState | null)
      .filter((s): s is EchoedState => s !== null && typeof s === "object" && "header" in s);
    expect(states.length).toBeGreaterThan(10);
    const seconds = states.map((s) => s.header.stamp.sec + s.header.stamp.nanosec * 1e-9);
    // One 20 ms tick per state: consecutive stamps 20 ms apart.
    for (let i = 1; i < seconds.length; i++) expect(seconds[i] - seconds[i - 1]).toBeCloseTo(0.02, 6);
    const last = states.at(-1)!;
    const ticks = Math.round(seconds.at(-1)! / 0.02);
    expect(ticks).toBeGreaterThan(10);
    const expected = await embeddedStateAfter(ticks);
    expect(last.position).toEqual(Array.from(expected.position));
    expect(last.velocity).toEqual(Array.from(expected.velocity));

    expect(await sim.interrupt()).toBe(0);
    expect(await nodeList(env)).toEqual([]);
  });
});
