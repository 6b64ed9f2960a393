import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openBag } from "../../../src/data/rosbag2/bag.js";
import { runLogNode, runLogTopics } from "../../../src/nodes/run-log/run-log-node.js";
import { createEmbeddedContext } from "../../../src/ros/embedded/context.js";
import { tempDir } from "../../data/rosbag2/helpers.js";

describe("run_log node", () => {
  it("records the robot's topics, /diagnostics and /clock into an MCAP the bag reader opens", async () => {
    const file = join(tempDir(), "sim.mcap");
    const ctx = createEmbeddedContext({ logSink: () => undefined });
    const recorder = ctx.createNode("run_log", { parameters: { file, robot: "reacher2" } });
    const handle = await runLogNode(recorder, []);
    const pub = ctx.createNode("robot");
    const js = pub.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
    const cmd = pub.createPublisher("std_msgs/msg/Float64MultiArray", "/forward_effort_controller/commands");
    const diag = pub.createPublisher("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics");
    for (let k = 0; k < 5; k++) {
      js.publish({
        header: { stamp: { sec: 0, nanosec: k }, frame_id: "" },
        name: ["shoulder_joint", "elbow_joint"],
        position: [k, -k],
        velocity: [0, 0],
        effort: [0, 0],
      });
      cmd.publish({ layout: { dim: [], data_offset: 0 }, data: [0.1 * k, 0] });
      ctx.spinSome();
    }
    diag.publish({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "" },
      status: [{ level: 2, name: "shield", message: "estop", hardware_id: "", values: [] }],
    });
    ctx.spinSome();
    await handle!.close!();
    ctx.shutdown();
    const bag = await openBag(file);
    const counts = Object.fromEntries(bag.topics.map((t) => [t.name, t.messageCount]));
    const positions: number[] = [];
    for await (const m of bag.messages({ topics: ["/joint_states"] }))
      positions.push((m.message as { position: Float64Array }).position[0]);
    await bag.close();
    expect(counts).toEqual({
      "/joint_states": 5,
      "/forward_effort_controller/commands": 5,
      "/diagnostics": 1,
    });
    expect(positions).toEqual([0, 1, 2, 3, 4]);
  });

  it("rejects a topics entry without a type", () => {
    expect(() => runLogTopics(undefined, ["/policy/action"])).toThrow(
      '(parameter topics): /policy/action: expected "topic:package/msg/Type"',
    );
  });
});
