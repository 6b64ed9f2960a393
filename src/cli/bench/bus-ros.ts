/**
 * `tether bench bus --ros`: the same JointState figures as the embedded bus, over real ROS 2 (rclnodejs,
 * the sourced RMW), plus recording at 500 Hz from DDS into the recorder node under reliable QoS.
 * Publisher and subscriber are two Tether nodes in this process (one DDS participant: Cyclone DDS
 * serializes and delivers in-process, without the loopback socket).
 *   jointstate_msgs_per_s  bursts of `--burst` messages, each burst awaited until delivered (or 1 s)
 *   dropped                JointState messages published and never delivered in the throughput run
 *   latency_us_p50/p99     publish -> subscription callback, one message in flight
 *   recording_500hz        reacher2 states + commands at 500 Hz into the recorder for `--record-seconds`
 *   recording_500hz_separate_process   the same from an rclpy publisher in another process (rclpy-500hz.py),
 *                                      so the messages cross the loopback socket
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Node } from "../../ros/node.js";
import type { RuntimeNodeOptions } from "../../ros/runtime.js";

export interface BenchBusRosOptions {
  messages: number;
  burst: number;
  latencySamples: number;
  recordSeconds: number;
}

const NAMES = ["joint_1", "joint_2", "joint_3", "joint_4", "joint_5", "joint_6"];

/** The RMW's DDS implementation as `transport` ("rmw_cyclonedds_cpp" -> "cyclonedds"). */
function transportOf(rmw: string): string {
  return rmw.replace(/^rmw_/, "").replace(/_cpp$/, "");
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setImmediate(r));
  }
  return true;
}

async function waitMatched(pub: { subscriptionCount(): number }): Promise<void> {
  if (!(await waitUntil(() => pub.subscriptionCount() > 0, 10_000)))
    throw new Error("bench bus --ros: the subscription never matched the publisher");
  // Discovery runs both ways: give the subscription side time to match the publisher too.
  await sleep(500);
}

/** Waits until count() reaches `expected` or stops growing for a second. */
async function drain(count: () => number, expected: number): Promise<void> {
  let last = -1;
  while (count() !== last && count() < expected) {
    last = count();
    await sleep(1000);
  }
}

export async function runBenchBusRos(opts: BenchBusRosOptions): Promise<Record<string, unknown>> {
  const { selectRuntime } = await import("../../ros/runtime.js");
  const { timeFromSeconds, timeFromNanos } = await import("../../msgs/time.js");
  const runtime = await selectRuntime({ ros: true });
  const nodes: Node[] = [];
  // Everything under /tether_bench, so a robot running on the same graph is neither heard nor disturbed.
  const node = async (name: string, options: RuntimeNodeOptions = {}): Promise<Node> => {
    const n = await runtime.createNode(name, { namespace: "/tether_bench", ...options });
    nodes.push(n);
    return n;
  };
  try {
    const makeMsg = (i: number) => ({
      header: { stamp: timeFromSeconds(i * 0.001), frame_id: "" },
      name: NAMES,
      position: new Float64Array([i, 1, 2, 3, 4, 5]),
      velocity: new Float64Array(6),
      effort: new Float64Array(6),
    });

    // Throughput.
    const qos = { depth: opts.burst, reliability: "reliable" as const, durability: "volatile" as const };
    const subNode = await node("bench_subscriber");
    const pubNode = await node("bench_publisher");
    let received = 0;
    subNode.createSubscription("sensor_msgs/msg/JointState", "joint_states", { qos }, (m) => {
      if (m.name.length === 6) received++;
    });
    const pub = pubNode.createPublisher("sensor_msgs/msg/JointState", "joint_states", { qos });
    await waitMatched(pub);
    const pool = Array.from({ length: opts.burst }, (_, i) => makeMsg(i));
    const burst = async (n: number, sentBefore: number): Promise<void> => {
      for (let i = 0; i < n; i++) pub.publish(pool[i]);
      await waitUntil(() => received >= sentBefore + n, 1000);
    };
    for (let i = 0; i < 10; i++) await burst(opts.burst, received);
    received = 0;
    let sent = 0;
    const t0 = performance.now();
    while (sent < opts.messages) {
      const n = Math.min(opts.burst, opts.messages - sent);
      await burst(n, sent);
      sent += n;
    }
    const seconds = (performance.now() - t0) / 1000;
    // Late deliveries are not drops: wait until nothing more arrives for a second.
    await drain(() => received, sent);

    // Latency: one in flight.
    const pingNode = await node("bench_ping");
    const pongNode = await node("bench_pong");
    const lat = new Float64Array(opts.latencySamples);
    let k = 0;
    let sentAt = 0;
    let done: (() => void) | undefined;
    pongNode.createSubscription("sensor_msgs/msg/JointState", "ping", {}, () => {
      lat[k++] = (performance.now() - sentAt) * 1000;
      done?.();
    });
    const ping = pingNode.createPublisher("sensor_msgs/msg/JointState", "ping");
    await waitMatched(ping);
    const msg = makeMsg(0);
    for (let i = 0; i < opts.latencySamples; i++) {
      await new Promise<void>((resolve) => {
        done = resolve;
        sentAt = performance.now();
        ping.publish(msg);
      });
    }
    const sorted = Array.from(lat).sort((x, y) => x - y);
    const pct = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

    const recording = await recordAt500Hz(node, opts.recordSeconds, timeFromNanos);
    const separate = await recordFromProcessAt500Hz(node, opts.recordSeconds);
    return {
      bench: "bus",
      transport: transportOf(process.env.RMW_IMPLEMENTATION ?? "rmw_cyclonedds_cpp"),
      jointstate_msgs_per_s: Math.round(received / seconds),
      latency_us_p50: +pct(0.5).toFixed(2),
      latency_us_p99: +pct(0.99).toFixed(2),
      dropped: sent - received,
      jointstate_messages: sent,
      burst: opts.burst,
      latency_samples: opts.latencySamples,
      recording_500hz: recording,
      recording_500hz_separate_process: separate,
    };
  } finally {
    for (const n of nodes) n.destroy();
    runtime.shutdown();
  }
}

type NodeMaker = (name: string, options?: RuntimeNodeOptions) => Promise<Node>;
type BenchRecorder = Awaited<
  ReturnType<typeof import("../../nodes/recorder/recorder-node.js").createRecorderNode>
>;

/** The recorder on reacher2's topics, remapped under `prefix` (reliable, keep-last 1000). */
async function benchRecorder(
  node: NodeMaker,
  name: string,
  prefix: string,
  out: string,
): Promise<BenchRecorder> {
  const { createRecorderNode } = await import("../../nodes/recorder/recorder-node.js");
  const remaps = ["/joint_states", "/forward_effort_controller/commands", "/goal"].map((t) => ({
    from: t,
    to: `${prefix}${t}`,
  }));
  return createRecorderNode(
    await node(name, { parameters: { robot: "reacher2", out, reset_jump: 0 }, remaps }),
  );
}

/** Waits for the tail (states, commands and the goal), closes the recorder and reports what it received. */
async function recordingFigures(
  recorder: BenchRecorder,
  published: number,
  wallSeconds: number,
): Promise<Record<string, unknown>> {
  await drain(() => recorder.received(), 2 * published + 1);
  const statesReceived = recorder.core.stats().messages[recorder.core.topics.state] ?? 0;
  await recorder.close();
  return {
    rate_hz: Math.round(published / wallSeconds),
    states_published: published,
    states_received: statesReceived,
    dropped: published - statesReceived,
    transitions: recorder.finalStats()?.transitions,
  };
}

/**
 * A robot publishing reacher2 states and commands at 500 Hz (wall clock, 2 ms stamps) into the recorder
 * node (reliable, keep-last 1000); dropped = states published that the recorder never received.
 */
async function recordAt500Hz(
  node: NodeMaker,
  seconds: number,
  timeFromNanos: (ns: bigint) => { sec: number; nanosec: number },
): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "tether-bench-bus-ros-"));
  try {
    // The recorder subscribes to reacher2's absolute topic names: remapped into the bench namespace.
    const recorder = await benchRecorder(node, "recorder", "/tether_bench", join(dir, "ds"));
    const robot = await node("bench_robot");
    const states = robot.createPublisher("sensor_msgs/msg/JointState", "joint_states", {
      qos: { depth: 1000 },
    });
    const commands = robot.createPublisher(
      "std_msgs/msg/Float64MultiArray",
      "forward_effort_controller/commands",
      {
        qos: { depth: 1000 },
      },
    );
    const goal = robot.createPublisher("std_msgs/msg/Float64MultiArray", "goal", {
      qos: { depth: 1, durability: "transient_local" },
    });
    await waitMatched(states);
    goal.publish({ data: [0.1, -0.1] });
    const periodMs = 2;
    const total = Math.round((seconds * 1000) / periodMs);
    const start = performance.now();
    let published = 0;
    while (published < total) {
      const due = Math.min(total, Math.floor((performance.now() - start) / periodMs) + 1);
      while (published < due) {
        const ns = BigInt(published) * 2_000_000n;
        states.publish({
          header: { stamp: timeFromNanos(ns), frame_id: "" },
          name: ["shoulder_joint", "elbow_joint"],
          position: [Math.sin(published * 0.002), 0.5],
          velocity: [Math.cos(published * 0.002), 0],
          effort: [0, 0],
        });
        commands.publish({ data: [0.1, -0.1] });
        published++;
      }
      await sleep(1);
    }
    return await recordingFigures(recorder, published, (performance.now() - start) / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same stream from rclpy in another process (rclpy-500hz.py, reliable, keep-last 1000): the messages
 * cross the loopback socket, as from a robot's driver, and the publisher's timing is its own.
 */
async function recordFromProcessAt500Hz(node: NodeMaker, seconds: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "tether-bench-bus-ros-"));
  const prefix = "/tether_bench_rclpy";
  try {
    const recorder = await benchRecorder(node, "recorder_rclpy", prefix, join(dir, "ds"));
    const script = join(import.meta.dirname, "rclpy-500hz.py");
    const child = spawn("python3", [script, String(seconds), prefix], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    const last = out.trim().split("\n").at(-1) ?? "";
    if (code !== 0 || !last.startsWith("{"))
      throw new Error(`bench bus --ros: ${script} failed (exit ${code}): ${out.trim()}`);
    const report = JSON.parse(last) as { published: number; wall_s: number; late_max_ms: number };
    return {
      ...(await recordingFigures(recorder, report.published, report.wall_s)),
      publisher_late_max_ms: report.late_max_ms,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
