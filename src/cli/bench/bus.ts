/**
 * `tether bench bus [--json] [--ros]`: the embedded runtime's in-process bus; with --ros the same figures
 * over real ROS 2 first (./bus-ros.ts), the embedded ones beside them under `embedded`.
 *   jointstate_msgs_per_s  sensor_msgs/msg/JointState (6 joints) publisher -> subscriber, validated at the
 *                          publisher, delivered by the executor; bursts of `--burst` messages with QoS
 *                          depth = burst, so nothing is dropped (jointstate_dropped must be 0)
 *   latency_us_p99         publish -> callback, one message in flight at a time (includes the executor's
 *                          setImmediate hop), 99th percentile in microseconds
 */
import type { Command } from "commander";
import { parseIntOption, printJsonLine } from "../run.js";

interface BenchBusOptions {
  json?: boolean;
  ros?: boolean;
  messages: number;
  rosMessages: number;
  recordSeconds: number;
  burst: number;
  latencySamples: number;
}

export function registerBenchBus(bench: Command): void {
  bench
    .command("bus")
    .description(
      "Embedded ROS 2 bus: JointState messages/s publisher -> subscriber, publish -> callback latency",
    )
    .option("--json", "end stdout with one JSON object")
    .option(
      "--messages <n>",
      "JointState messages in the throughput run",
      parseIntOption("--messages"),
      1_000_000,
    )
    .option(
      "--burst <n>",
      "messages published per executor round (also the QoS depth)",
      parseIntOption("--burst"),
      100,
    )
    .option(
      "--latency-samples <n>",
      "messages in the latency run",
      parseIntOption("--latency-samples"),
      20_000,
    )
    .option("--ros", "also measure over real ROS 2 (rclnodejs and the sourced RMW; required)")
    .option(
      "--ros-messages <n>",
      "JointState messages in the ROS 2 throughput run",
      parseIntOption("--ros-messages"),
      100_000,
    )
    .option(
      "--record-seconds <n>",
      "seconds of 500 Hz recording from ROS 2 into the recorder",
      parseIntOption("--record-seconds"),
      5,
    )
    .action(async (opts: BenchBusOptions) => {
      let result: Record<string, unknown>;
      if (opts.ros) {
        const { runBenchBusRos } = await import("./bus-ros.js");
        const ros = await runBenchBusRos({ ...opts, messages: opts.rosMessages });
        result = { ...ros, embedded: await runBenchBus(opts) };
      } else result = await runBenchBus(opts);
      if (opts.json) printJsonLine(result);
      else
        for (const [k, v] of Object.entries(result))
          process.stdout.write(
            `${k}: ${typeof v === "number" ? +v.toPrecision(4) : typeof v === "object" ? JSON.stringify(v) : v}\n`,
          );
    });
}

export async function runBenchBus(opts: BenchBusOptions): Promise<Record<string, unknown>> {
  const { createEmbeddedContext } = await import("../../ros/embedded/context.js");
  const { timeFromSeconds } = await import("../../msgs/time.js");
  const names = ["joint_1", "joint_2", "joint_3", "joint_4", "joint_5", "joint_6"];
  const makeMsg = (i: number) => ({
    header: { stamp: timeFromSeconds(i * 0.001), frame_id: "" },
    name: names,
    position: new Float64Array([i, 1, 2, 3, 4, 5]),
    velocity: new Float64Array(6),
    effort: new Float64Array(6),
  });

  // Throughput.
  const ctx = createEmbeddedContext({ logSink: () => {} });
  const qos = { depth: opts.burst, reliability: "reliable" as const, durability: "volatile" as const };
  const pubNode = ctx.createNode("bench_publisher");
  const subNode = ctx.createNode("bench_subscriber");
  let received = 0;
  subNode.createSubscription("sensor_msgs/msg/JointState", "/joint_states", { qos }, (m) => {
    if (m.name.length === 6) received++;
  });
  const pub = pubNode.createPublisher("sensor_msgs/msg/JointState", "/joint_states", { qos });
  const pool = Array.from({ length: opts.burst }, (_, i) => makeMsg(i));
  const yieldToExecutor = (): Promise<void> => new Promise((r) => setImmediate(r));
  // Warm-up.
  for (let i = 0; i < 20; i++) {
    for (const m of pool) pub.publish(m);
    await yieldToExecutor();
  }
  received = 0;
  const t0 = performance.now();
  let sent = 0;
  while (sent < opts.messages) {
    const n = Math.min(opts.burst, opts.messages - sent);
    for (let i = 0; i < n; i++) pub.publish(pool[i]);
    sent += n;
    await yieldToExecutor();
  }
  while (!ctx.idle()) await yieldToExecutor();
  const seconds = (performance.now() - t0) / 1000;
  ctx.shutdown();

  // Latency: one in flight.
  const ctx2 = createEmbeddedContext({ logSink: () => {} });
  const a = ctx2.createNode("bench_ping");
  const b = ctx2.createNode("bench_pong");
  const lat = new Float64Array(opts.latencySamples);
  let k = 0;
  let sentAt = 0;
  let done: (() => void) | undefined;
  b.createSubscription("sensor_msgs/msg/JointState", "/joint_states", {}, () => {
    lat[k++] = (performance.now() - sentAt) * 1000;
    done?.();
  });
  const p2 = a.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
  const msg = makeMsg(0);
  for (let i = 0; i < opts.latencySamples; i++) {
    await new Promise<void>((resolve) => {
      done = resolve;
      sentAt = performance.now();
      p2.publish(msg);
    });
  }
  ctx2.shutdown();
  const sorted = Array.from(lat).sort((x, y) => x - y);
  const pct = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

  return {
    bench: "bus",
    jointstate_msgs_per_s: Math.round(received / seconds),
    jointstate_messages: received,
    jointstate_dropped: sent - received,
    burst: opts.burst,
    latency_us_p50: +pct(0.5).toFixed(2),
    latency_us_p99: +pct(0.99).toFixed(2),
    latency_samples: opts.latencySamples,
  };
}
