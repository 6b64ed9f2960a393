/**
 * Recording throughput for `tether bench data`: a publisher node streams reacher2 JointState messages
 * (50 Hz stamps, with a command after each state and the goal once) through the embedded runtime into the
 * recorder node, which aligns, scores and writes them. The executor is spun once per tick so the recorder
 * sees each state before the command answering it, as in a live control loop (headerless commands are
 * attributed by arrival, like rosbag2's receive time). Wall time covers publish -> dataset closed.
 */
import { embeddedRuntime } from "../../ros/runtime.js";
import { timeFromNanos } from "../../msgs/time.js";
import { createRecorderNode } from "./recorder-node.js";

const EMPTY_LAYOUT = { dim: [], data_offset: 0 };

export async function benchRecorder(dir: string, messages: number): Promise<Record<string, unknown>> {
  const runtime = embeddedRuntime({ logSink: () => {} });
  const ctx = runtime.embedded!;
  try {
    const recNode = await runtime.createNode("recorder", {
      parameters: { robot: "reacher2", out: dir, reset_jump: 0 },
    });
    const recorder = await createRecorderNode(recNode);
    const pubNode = await runtime.createNode("bench_publisher");
    const states = pubNode.createPublisher("sensor_msgs/msg/JointState", "/joint_states", {
      qos: { depth: 10 },
    });
    const commands = pubNode.createPublisher(
      "std_msgs/msg/Float64MultiArray",
      "/forward_effort_controller/commands",
      { qos: { depth: 10 } },
    );
    const goal = pubNode.createPublisher("std_msgs/msg/Float64MultiArray", "/goal", {
      qos: { depth: 1, durability: "transient_local" },
    });
    const names = ["shoulder_joint", "elbow_joint"];
    const period = 20_000_000n;
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    goal.publish({ data: [0.1, -0.1] });
    let published = 1;
    for (let k = 0; k < messages; k++) {
      const t = BigInt(k) * period;
      const a = 0.001 * (k % 1000);
      states.publish({
        header: { stamp: timeFromNanos(t), frame_id: "" },
        name: names,
        position: [Math.sin(a), Math.cos(a)],
        velocity: [0.1, -0.1],
        effort: [0, 0],
      });
      // A complete message (with layout), as rclnodejs hands over: incomplete ones are filled per publish.
      commands.publish({ layout: EMPTY_LAYOUT, data: [0.01, -0.01] });
      published += 2;
      // One control tick: the recorder sees the state, then the command answering it (as in a live loop).
      ctx.spinSome();
    }
    while (!ctx.idle()) ctx.spinSome();
    await recorder.close();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const stats = recorder.finalStats()!;
    const received = recorder.received();
    return {
      record_msgs_per_s: messages / seconds,
      record_msgs_per_cpu_s: messages / ((cpu.user + cpu.system) / 1e6),
      record_all_msgs_per_s: published / seconds,
      record_dropped:
        published -
        received +
        stats.dropped_non_finite +
        Object.values(stats.out_of_order).reduce((a, b) => a + b, 0),
      record_transitions: stats.transitions,
      record_episodes: stats.episodes,
    };
  } finally {
    runtime.shutdown();
  }
}
