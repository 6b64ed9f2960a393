/**
 * `tether launch --ros` of launch/record.launch.xml (recorder + sim_robot + behavior) seen from ROS 2's own
 * CLI: nodes, topics with their QoS, parameters with ROS 2 types, /clock, and a clean SIGINT shutdown that
 * leaves no node behind and a dataset on disk.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDataset } from "../../src/data/dataset-reader.js";
import { describeRos2, nodeList, ros2Env, run, startTether, waitUntil, type Proc } from "./ros2-env.js";

const DOMAIN = 211;

describeRos2("tether launch --ros on a real ROS 2 graph", () => {
  let env: NodeJS.ProcessEnv;
  let launch: Proc | undefined;
  const out = join(mkdtempSync(join(tmpdir(), "tether-ros2-launch-")), "ds");
  const ros2 = (...args: string[]) => run("ros2", args, env);

  beforeAll(async () => {
    env = ros2Env(DOMAIN);
    launch = startTether(
      ["launch", "launch/record.launch.xml", "--ros", `out:=${out}`, "episodes:=0", "behavior_label:=ros2"],
      env,
    );
    await launch.waitFor(/\[behavior\]: reacher2 behavior/, 60_000);
  });
  afterAll(async () => {
    await launch?.interrupt();
  });

  it("ros2 node list shows the three nodes", async () => {
    await waitUntil(
      async () => (await nodeList(env)).join(" ") === "/behavior /recorder /sim_robot",
      "the three nodes in ros2 node list",
    );
  });

  it("ros2 topic echo receives Tether's /joint_states and /clock", async () => {
    const js = await ros2(
      "topic",
      "echo",
      "--once",
      "--no-daemon",
      "/joint_states",
      "sensor_msgs/msg/JointState",
    );
    expect(js.code, js.out).toBe(0);
    expect(js.out).toMatch(/name:\n- shoulder_joint\n- elbow_joint\nposition:\n- -?\d/);
    const clock = await ros2("topic", "echo", "--once", "--no-daemon", "/clock", "rosgraph_msgs/msg/Clock");
    expect(clock.code, clock.out).toBe(0);
    expect(clock.out).toMatch(/clock:\n {2}sec: \d+\n {2}nanosec: \d+/);
  });

  it("publishes with the QoS the nodes ask for (latched task topic, reliable commands)", async () => {
    const goal = await ros2("topic", "info", "--verbose", "--no-daemon", "/goal");
    expect(goal.out).toMatch(/Node name: sim_robot[\s\S]*Durability: TRANSIENT_LOCAL/);
    expect(goal.out).toMatch(/Node name: recorder[\s\S]*Durability: TRANSIENT_LOCAL/);
    const cmd = await ros2(
      "topic",
      "info",
      "--verbose",
      "--no-daemon",
      "/forward_effort_controller/commands",
    );
    expect(cmd.out).toMatch(/Publisher count: 1/);
    expect(cmd.out).toMatch(/Subscription count: 2/);
    expect(cmd.out).toMatch(/Reliability: RELIABLE/);
  });

  it("parameters keep their ROS 2 types: ros2 param get/set", async () => {
    const get = async (node: string, name: string) =>
      (await ros2("param", "get", "--no-daemon", node, name)).out.trim();
    expect(await get("/sim_robot", "seed")).toBe("Integer value is: 0");
    expect(await get("/sim_robot", "robot")).toBe("String value is: reacher2");
    // record.launch.xml gives reset_jump "0.0": a double, as under ros2 launch.
    expect(await get("/recorder", "reset_jump")).toBe("Double value is: 0.0");
    // A whole default declared as a double stays a double.
    expect(await get("/recorder", "report_period_s")).toBe("Double value is: 5.0");
    expect(await get("/sim_robot", "use_sim_time")).toBe("Boolean value is: False");

    const set = await ros2("param", "set", "--no-daemon", "/recorder", "report_period_s", "7.5");
    expect(set.out).toMatch(/Set parameter successful/);
    expect(await get("/recorder", "report_period_s")).toBe("Double value is: 7.5");
    const wrongType = await ros2("param", "set", "--no-daemon", "/sim_robot", "seed", "hello");
    expect(wrongType.out).not.toMatch(/Set parameter successful/);
    expect(await get("/sim_robot", "seed")).toBe("Integer value is: 0");
  });

  it("SIGINT closes every node (no node left, the recorder's dataset written)", async () => {
    const code = await launch!.interrupt();
    expect(code, launch!.output()).toBe(0);
    expect(launch!.output()).toMatch(/\[recorder\]: wrote \d+ episodes, \d+ transitions/);
    expect(await nodeList(env)).toEqual([]);
    const ds = openDataset(out);
    expect(ds.manifest.behavior).toBe("ros2");
    expect(ds.manifest.counts.transitions).toBeGreaterThan(0);
  });
});
