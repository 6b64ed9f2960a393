/**
 * `tether bench loop`, path "policy_node": the policy node itself on its worker loop (loop: worker), at
 * 500 Hz on the pendulum with a policy package of random 2×256 ReLU weights, fed /joint_states by a fake
 * robot in the same embedded ROS 2 graph. The figures are the node's own loop record: tick wall time
 * (state read, SafetyCore tick with the policy in its worker, command left in shared memory; the main
 * thread is woken for it just after) and deadline misses. With `trace`, `handover` says where the policy
 * hand-overs' time went (policy-trace.ts).
 *
 * Then, on this thread, what the tick costs without the machine's noise: `tick_cpu_us_*`, the process CPU
 * time of the node's SafetyCore tick run back to back with the policy called in place (the tick's own
 * work: state monitors, policy, shield, run log), and `policy_us_*`, the policy's forward pass alone; the
 * loop's wall time less this work is the hand-over to the policy worker and time preempted.
 * `bytes_per_tick` is the heap the node's loop tick (loop-tick.ts, policy in its worker) keeps per tick over
 * `heap_ticks` ticks, GC forced at both ends; `alloc_bytes_per_tick` what it allocates, garbage included.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../core/rng.js";
import { timeFromSeconds } from "../../msgs/time.js";
import { loadRobot } from "../../robot/load.js";
import { signalLayout } from "../../robot/signals.js";
import { writePolicyPackage } from "../../policy/package.js";
import { DEFAULT_QUANTILE_LEVELS } from "../../policy/support.js";
import { createEmbeddedContext } from "../../ros/embedded/context.js";
import { allocBytesPerTick, bytesPerTick } from "../../safety/loop/heap-per-tick.js";
import { percentile } from "../../safety/loop/realtime-loop.js";
import { PolledWallClock } from "../../safety/loop/wall-clock.js";
import { randomLayers } from "../../safety/loop/loop-bench-setup.js";
import type { LoopSummary } from "../../safety/loop/realtime-loop.js";
import { createPolicyLoopBuffers, LOOP } from "./loop-shared.js";
import { createRealtimeTick } from "./loop-tick.js";
import { DEFAULT_SHIELD_PARAMS } from "./build-shield.js";
import { DEFAULT_POLICY_PREWAKE_MS, DEFAULT_POLICY_SPIN_MS, startPolicyNode } from "./policy-node.js";
import {
  createPolicyTrace,
  summarizePolicyTrace,
  traceNow,
  type PolicyTraceSummary,
} from "../../safety/loop/policy-trace.js";
import { loadPolicyCore, type PolicyCoreOptions } from "./policy-core.js";

const RATE_HZ = 500;

export interface NodeLoopBenchResult extends LoopSummary {
  path: "policy_node";
  policy: string;
  rate_hz: number;
  wall_seconds: number;
  spin_ms: number;
  /** The policy worker's busy-wait before each request (the node's policy_spin_ms). */
  policy_spin_ms: number;
  /** The loop's pre-wake of the policy worker before each slot (the node's policy_prewake_ms). */
  policy_prewake_ms: number;
  /** With `trace`: where the policy hand-over's time went (policy-trace.ts). */
  handover?: PolicyTraceSummary;
  /** The node's loop tick, wall time (= wall_tick_us_p50/p99 of its loop record). */
  tick_us_p50: number;
  tick_us_p99: number;
  /** Process CPU time of the tick's own work, back to back on one thread (policy called in place). */
  tick_cpu_us_p50: number;
  tick_cpu_us_p99: number;
  /** The policy's forward pass alone (PolicyRunner.act). */
  policy_us_p50: number;
  policy_us_p99: number;
  cpu_ticks: number;
  bytes_per_tick: number;
  alloc_bytes_per_tick: number;
  heap_ticks: number;
  sources: Record<string, number>;
}

function writeBenchPackage(dir: string, seed: number): void {
  const rng = new Rng(seed);
  writePolicyPackage(dir, {
    robot: "pendulum",
    obsNames: ["cos_angle", "sin_angle", "angular_velocity"],
    actNames: ["pendulum_effort"],
    actionLow: [-2],
    actionHigh: [2],
    actor: {
      kind: "deterministic",
      obsDim: 3,
      actDim: 1,
      network: { layers: randomLayers(rng, [3, 256, 256, 1], ["relu", "relu", "tanh"]) },
      obsMean: [0, 0, 0],
      obsStd: [1, 1, 1],
    },
    support: { quantiles: { levels: [...DEFAULT_QUANTILE_LEVELS], values: [[-0.9, -0.5, 0, 0.5, 0.9]] } },
    provenance: { algorithm: "bench", datasetHash: "0".repeat(8), config: {}, metrics: {} },
  });
}

export async function runNodeLoopBench(options: {
  seconds: number;
  seed?: number;
  spinMs?: number;
  heapTicks?: number;
  cpuTicks?: number;
  /** The node's policy_spin_ms (default: the node's default). */
  policySpinMs?: number;
  /** The node's policy_prewake_ms (default: the node's default). */
  policyPrewakeMs?: number;
  /** Stamp each policy hand-over and report `handover` (reading the clock costs the tick ~1 µs). */
  trace?: boolean;
}): Promise<NodeLoopBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "tether-bench-node-"));
  const spinMs = options.spinMs ?? 1000 / RATE_HZ;
  try {
    writeBenchPackage(dir, options.seed ?? 0);
    const ctx = createEmbeddedContext({ logSink: () => {} });
    const robot = ctx.createNode("bench_robot");
    const pub = robot.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
    let t = 0;
    robot.createTimer(1000 / RATE_HZ, () => {
      t += 1 / RATE_HZ;
      pub.publish({
        header: { stamp: timeFromSeconds(robot.getClock().nowSeconds()), frame_id: "" },
        name: ["pendulum_joint"],
        position: [0.3 * Math.sin(2 * Math.PI * 0.5 * t)],
        velocity: [0.3 * Math.PI * Math.cos(2 * Math.PI * 0.5 * t)],
        effort: [0],
      });
    });
    const node = ctx.createNode("policy", {
      parameters: {
        robot: "pendulum",
        model: dir,
        rate_hz: RATE_HZ,
        loop: "worker",
        loop_spin_ms: spinMs,
        ...(options.policySpinMs !== undefined ? { policy_spin_ms: options.policySpinMs } : {}),
        ...(options.policyPrewakeMs !== undefined ? { policy_prewake_ms: options.policyPrewakeMs } : {}),
      },
    });
    const trace = options.trace === true ? createPolicyTrace(1 << 16) : undefined;
    const handle = await startPolicyNode(node, { policyTrace: trace });
    // From the first tick on: starting the loop and policy workers takes a while, slots before do nothing.
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    for (let waited = 0; handle.stats().ticks === 0; waited += 20) {
      if (waited > 60_000) throw new Error("bench policy_node: the node's loop did not tick within 60 s");
      await sleep(20);
    }
    const since = handle.loopSlots();
    const traceSince = traceNow();
    await sleep(options.seconds * 1000);
    const summary = handle.loopSummary(since)!;
    const sources = handle.stats().bySource;
    await handle.close();
    ctx.shutdown();

    const heapTicks = options.heapTicks ?? 100_000;
    const cpuTicks = options.cpuTicks ?? 20_000;
    const cost = await tickCost(dir, cpuTicks);
    const heap = await tickBytes(dir, heapTicks);
    return {
      path: "policy_node",
      policy: "pendulum policy package, random 2x256 ReLU weights (tanh out), in its WorkerPolicy",
      rate_hz: RATE_HZ,
      wall_seconds: options.seconds,
      spin_ms: spinMs,
      policy_spin_ms: options.policySpinMs ?? DEFAULT_POLICY_SPIN_MS,
      policy_prewake_ms: options.policyPrewakeMs ?? DEFAULT_POLICY_PREWAKE_MS,
      ...(trace !== undefined ? { handover: summarizePolicyTrace(trace, traceSince) } : {}),
      tick_us_p50: summary.wall_tick_us_p50,
      tick_us_p99: summary.wall_tick_us_p99,
      ...cost,
      cpu_ticks: cpuTicks,
      ...summary,
      bytes_per_tick: Math.round(heap.kept * 100) / 100,
      alloc_bytes_per_tick: Math.round(heap.allocated * 10) / 10,
      heap_ticks: heapTicks,
      sources,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const coreOptions = (model: string): PolicyCoreOptions => ({
  where: "bench policy_node",
  robot: "pendulum",
  model,
  fallback: "auto",
  rateHz: RATE_HZ,
  params: DEFAULT_SHIELD_PARAMS,
  frozenRepeats: 2,
  returnWindow: 0,
  returnBaseline: 0,
  returnMaxDrop: 0,
  shadow: false,
});

const round1 = (v: number): number => Math.round(v * 10) / 10;

/** The tick's own work and the policy's share of it, back to back on this thread (CPU and wall time). */
async function tickCost(
  model: string,
  ticks: number,
): Promise<
  Pick<NodeLoopBenchResult, "tick_cpu_us_p50" | "tick_cpu_us_p99" | "policy_us_p50" | "policy_us_p99">
> {
  const parts = await loadPolicyCore(coreOptions(model));
  const clock = new PolledWallClock();
  const core = parts.makeCore(clock, { record: () => {} });
  const layout = signalLayout(parts.spec);
  const signals = new Float64Array(layout.size);
  const tick = (i: number): void => {
    clock.poll();
    signals[layout.position] = 0.3 * Math.sin(i / RATE_HZ);
    signals[layout.velocity] = 0.3 * Math.cos(i / RATE_HZ);
    // The stamp is now: the back-to-back ticks outrun the 500 Hz schedule, and a state that looks stale
    // would send every tick to hold instead of the policy.
    core.tick(clock.now(), signals);
  };
  const cpu = new Float64Array(ticks);
  for (let i = 0; i < 2000; i++) tick(i);
  for (let i = 0; i < ticks; i++) {
    const c0 = process.cpuUsage();
    tick(2000 + i);
    const c1 = process.cpuUsage(c0);
    cpu[i] = c1.user + c1.system;
  }
  core.close();
  const obs = new Float32Array(parts.stack.runner.obsDim);
  const act = new Float64Array(parts.stack.runner.actDim);
  const policy = new Float64Array(ticks);
  for (let i = 0; i < ticks; i++) {
    obs[0] = Math.cos(i / RATE_HZ);
    obs[1] = Math.sin(i / RATE_HZ);
    const t0 = performance.now();
    parts.stack.runner.act(obs, act);
    policy[i] = (performance.now() - t0) * 1000;
  }
  cpu.sort();
  policy.sort();
  return {
    tick_cpu_us_p50: round1(percentile(cpu, 0.5)),
    tick_cpu_us_p99: round1(percentile(cpu, 0.99)),
    policy_us_p50: round1(percentile(policy, 0.5)),
    policy_us_p99: round1(percentile(policy, 0.99)),
  };
}

/** Heap kept and allocated per tick by the node's loop tick (policy in its worker), built on this thread. */
async function tickBytes(model: string, ticks: number): Promise<{ kept: number; allocated: number }> {
  const spec = loadRobot("pendulum").spec;
  const buffers = createPolicyLoopBuffers(signalLayout(spec).size, spec.actuators.length);
  const rt = await createRealtimeTick({ core: coreOptions(model), buffers, policyTimeoutMs: 1 });
  Atomics.store(buffers.ctrl, LOOP.ready, 1);
  const now = (): number => performance.timeOrigin + performance.now();
  const tick = (i: number): void => {
    buffers.state[0] = now();
    buffers.state[1] = 0.3 * Math.sin(i / RATE_HZ);
    rt.tick(i);
  };
  try {
    const kept = bytesPerTick(tick, ticks);
    const allocated = await allocBytesPerTick(tick);
    return { kept, allocated };
  } finally {
    rt.finish();
  }
}
