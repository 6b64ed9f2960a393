/**
 * Tether's recorder as a real ROS 2 node, fed by rclpy: the JointState, command and goal messages an rclpy
 * script publishes become the same dataset as the same messages on the embedded bus.
 */
import { afterAll, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedRuntime } from "../../src/ros/runtime.js";
import { LATCHED_QOS } from "../../src/ros/node.js";
import { createRecorderNode } from "../../src/nodes/recorder/recorder-node.js";
import { datasetColumns } from "./dataset-columns.js";
import { describeRos2, nodeList, ros2Env, run, startTether, type Proc } from "./ros2-env.js";

const DOMAIN = 212;
const LAYOUT = { dim: [], data_offset: 0 };
const STATE = "/joint_states";
const COMMAND = "/forward_effort_controller/commands";
const GOAL = "/goal";

/** Two episodes (a 1.2 rad jump marks the reset), every value a float64 that is not a float32. */
function messages(): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [[GOAL, { layout: LAYOUT, data: [0.1, -0.13] }]];
  for (let k = 0; k < 40; k++) {
    const jump = k >= 20 ? 1.2 : 0;
    out.push([
      STATE,
      {
        header: { stamp: { sec: 100 + Math.floor(k / 50), nanosec: (k % 50) * 20_000_000 }, frame_id: "" },
        name: ["shoulder_joint", "elbow_joint"],
        position: [0.013 * k + jump + 0.1, -0.021 * k + 0.3],
        velocity: [0.65 + 0.001 * k, -1.05],
        effort: [0.01, -0.02],
      },
    ]);
    out.push([COMMAND, { layout: LAYOUT, data: [0.3 * Math.sin(k), -0.2 * Math.cos(k)] }]);
  }
  return out;
}

async function recordEmbedded(msgs: [string, Record<string, unknown>][], out: string): Promise<void> {
  const runtime = embeddedRuntime({ logSink: () => {} });
  try {
    const rec = await createRecorderNode(
      await runtime.createNode("recorder", { parameters: { robot: "reacher2", out, behavior: "dds" } }),
    );
    const node = await runtime.createNode("tether_test_publisher");
    const pubs: Record<string, { publish(m: unknown): void }> = {
      [STATE]: node.createPublisher("sensor_msgs/msg/JointState", STATE),
      [COMMAND]: node.createPublisher("std_msgs/msg/Float64MultiArray", COMMAND),
      [GOAL]: node.createPublisher("std_msgs/msg/Float64MultiArray", GOAL, { qos: LATCHED_QOS }),
    };
    for (const [topic, m] of msgs) {
      pubs[topic].publish(m);
      runtime.embedded!.spinSome();
    }
    await rec.close();
  } finally {
    runtime.shutdown();
  }
}

describeRos2("recorder under --ros, fed by rclpy", () => {
  let recorder: Proc | undefined;
  afterAll(async () => {
    await recorder?.interrupt();
  });

  it("records what rclpy publishes into the same dataset as the embedded bus", async () => {
    const env = ros2Env(DOMAIN);
    const dir = mkdtempSync(join(tmpdir(), "tether-ros2-rec-"));
    const msgs = messages();
    const spec = join(dir, "messages.json");
    writeFileSync(
      spec,
      JSON.stringify({
        topics: {
          [STATE]: { type: "sensor_msgs/msg/JointState" },
          [COMMAND]: { type: "std_msgs/msg/Float64MultiArray" },
          [GOAL]: { type: "std_msgs/msg/Float64MultiArray", latched: true },
        },
        messages: msgs,
        period_s: 0.025,
      }),
    );

    recorder = startTether(
      [
        "node",
        "run",
        "recorder",
        "--ros",
        "--ros-args",
        "-p",
        "robot:=reacher2",
        "-p",
        `out:=${join(dir, "dds")}`,
        "-p",
        "behavior:=dds",
        // No periodic flush while messages arrive (a busy event loop lets topics pile up); close() writes.
        "-p",
        "flush_interval_ms:=600000",
      ],
      env,
    );
    await recorder.waitFor(/recording robot reacher2/, 60_000);
    const pub = await run(
      "python3",
      [join(import.meta.dirname, "fixtures", "publish_messages.py"), spec],
      env,
      60_000,
    );
    expect(pub.code, pub.out).toBe(0);
    expect(pub.out).toMatch(/published 81 messages/);
    expect(await recorder.interrupt()).toBe(0);
    expect(recorder.output()).toMatch(/wrote 2 episodes, 38 transitions/);
    expect(await nodeList(env)).toEqual([]);

    await recordEmbedded(msgs, join(dir, "embedded"));
    const dds = datasetColumns(join(dir, "dds"));
    const embedded = datasetColumns(join(dir, "embedded"));
    expect(embedded.episodes_count).toBe(2);
    expect(embedded.transitions).toBe(38);
    expect(dds).toEqual(embedded);
  });
});
