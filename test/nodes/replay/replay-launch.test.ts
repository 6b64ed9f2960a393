import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { interpretLaunchFile } from "../../../src/launch/interpreter.js";
import { startLaunch } from "../../../src/launch/runner.js";
import { NODE_REGISTRY } from "../../../src/nodes/registry.js";
import { embeddedRuntime } from "../../../src/ros/runtime.js";
import { REPO_ROOT } from "../../../src/robot/load.js";
import { bagPath } from "../../data/rosbag2/helpers.js";

describe("launch/replay.launch.xml", () => {
  it("runs the replay node from the launch file and publishes the chosen topics and /clock", async () => {
    const desc = interpretLaunchFile(join(REPO_ROOT, "launch/replay.launch.xml"), {
      args: { bag: bagPath("talker_mcap"), rate: "20", topics: "/topic" },
    });
    expect(desc.nodes.map((n) => [n.executable, n.parameters.bag, n.parameters.topics])).toEqual([
      ["replay", bagPath("talker_mcap"), "/topic"],
    ]);
    const runtime = embeddedRuntime({ logSink: () => undefined });
    const listener = await runtime.createNode("listener");
    const got: string[] = [];
    let clocks = 0;
    listener.createSubscription("std_msgs/msg/String", "/topic", {}, (m) => got.push(m.data));
    listener.createSubscription(
      "rosgraph_msgs/msg/Clock",
      "/clock",
      { qos: { reliability: "best_effort" } },
      () => clocks++,
    );
    const launch = await startLaunch(desc, { runtime, registry: NODE_REGISTRY, log: () => undefined });
    // 4.5 s of log at rate 20: about 0.23 s; wait for the 10 strings (bounded).
    for (let i = 0; i < 200 && got.length < 10; i++) await new Promise((r) => setTimeout(r, 25));
    await launch.shutdown();
    runtime.shutdown();
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `Hello, world! ${i}`));
    expect(clocks).toBeGreaterThan(0);
  });
});
