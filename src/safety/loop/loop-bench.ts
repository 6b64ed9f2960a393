/**
 * `tether bench loop`: the cost of one control tick behind the shield at batch 1, and whether a 500 Hz
 * wall-clock loop keeps its deadlines. The tick is built by loop-bench-setup.ts (policy + support model +
 * shield + every monitor).
 *
 * Phase 1, back-to-back ticks on the main thread: `tick_us_*` by the wall clock and `tick_cpu_us_*`, the
 * process CPU time (process.cpuUsage) of the same ticks, which on a shared, loaded machine separates the
 * work from time spent preempted. A tick whose policy call took longer than one period counts as a deadline
 * miss inside the core too (source "hold": no fallback is configured).
 *
 * Then `bytes_per_tick`: the heap the same tick path keeps per tick over 100 000 ticks, GC forced at both ends.
 *
 * Phase 2, the drift-free real-time loop (realtime-loop.ts) for `seconds`, in a dedicated worker thread
 * (default) or on the main thread (`thread: "main"`, the old way, for comparison), busy-waiting the whole
 * period unless `spinMs` is smaller (then it sleeps with Atomics.wait until spinMs before each slot). A slot misses its
 * deadline when its command is not ready by the end of the slot; skipped slots count as misses too.
 */
import { performance } from "node:perf_hooks";
import {
  BENCH_ACT_DIM,
  BENCH_OBS_DIM,
  WARM_TICKS,
  benchSetup,
  zeroSourceCounts,
  type SourceCounts,
} from "./loop-bench-setup.js";
import { percentile, type LoopSummary } from "./realtime-loop.js";
import { runRealtime, type LoopThread } from "./realtime-runner.js";
import { bytesPerTick } from "./heap-per-tick.js";

const HEAP_TICKS = 100_000;

export interface LoopBenchOptions {
  ticks: number;
  seconds: number;
  seed?: number;
  thread?: LoopThread;
  /** Busy-wait before each slot, ms (default 1). */
  spinMs?: number;
  /** Ticks of the heap measurement (default 100 000). */
  heapTicks?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LoopBenchResult extends LoopSummary {
  policy: string;
  obs_dim: number;
  act_dim: number;
  ticks: number;
  tick_us_p50: number;
  tick_us_p99: number;
  tick_us_max: number;
  tick_cpu_us_p50: number;
  tick_cpu_us_p99: number;
  policy_us_p50: number;
  policy_us_p99: number;
  /** Heap kept per tick over `heap_ticks` ticks of the same tick path, GC forced at both ends (heap-per-tick.ts). */
  bytes_per_tick: number;
  heap_ticks: number;
  rate_hz: number;
  wall_seconds: number;
  /** Where the wall-clock loop ran. */
  thread: LoopThread;
  spin_ms: number;
  sources: SourceCounts;
}

const r = (v: number): number => Math.round(v * 10) / 10;

export async function runLoopBench(options: LoopBenchOptions): Promise<LoopBenchResult> {
  const seed = options.seed ?? 0;
  const thread = options.thread ?? "worker";
  const { core, clock, runner, rng, rateHz, state } = benchSetup(seed);
  const dt = 1 / rateHz;
  const sources = zeroSourceCounts();

  // Phase 1: back-to-back ticks.
  const tickUs = new Float64Array(options.ticks);
  const cpuUs = new Float64Array(options.ticks);
  // The monitors' timers are not polled here: this phase measures the tick's cost, not a real-time loop
  // (a preemption of 100 ms on a busy machine would otherwise trip the stale-state e-stop).
  for (let i = 0; i < WARM_TICKS; i++) core.tick(clock.now(), state(i * dt));
  for (let i = 0; i < options.ticks; i++) {
    const signals = state((WARM_TICKS + i) * dt);
    const stamp = clock.now();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = core.tick(stamp, signals);
    tickUs[i] = (performance.now() - t0) * 1000;
    const c1 = process.cpuUsage(c0);
    cpuUs[i] = c1.user + c1.system;
    sources[out.source]++;
  }
  core.close();
  tickUs.sort();
  cpuUs.sort();

  const policyUs = new Float64Array(Math.min(options.ticks, 20000));
  const obs = new Float32Array(BENCH_OBS_DIM);
  const act = new Float64Array(BENCH_ACT_DIM);
  for (let i = 0; i < policyUs.length; i++) {
    obs[i % BENCH_OBS_DIM] = rng.normal(0, 0.5);
    const t0 = performance.now();
    runner.act(obs, act);
    policyUs[i] = (performance.now() - t0) * 1000;
  }
  policyUs.sort();

  // Heap kept per tick, on a fresh core (the one above was closed).
  const heap = benchSetup(seed);
  const heapTicks = options.heapTicks ?? HEAP_TICKS;
  const bytes = bytesPerTick((i) => {
    heap.core.tick(heap.clock.now(), heap.state(i * dt));
  }, heapTicks);
  heap.core.close();

  // Phase 2: the real-time loop.
  const periodMs = 1000 / rateHz;
  const spinMs = options.spinMs ?? periodMs;
  const run = await runRealtime<SourceCounts>({
    module: new URL("./loop-bench-setup.ts", import.meta.url).href,
    options: { seed },
    loop: { periodMs, slots: Math.round((options.seconds * 1000) / periodMs), spinMs },
    thread,
    onProgress: options.onProgress,
  });
  for (const [k, v] of Object.entries(run.result) as [keyof SourceCounts, number][]) sources[k] += v;

  return {
    policy:
      "src/policy PolicyRunner, random 2x256 ReLU weights (deterministic, tanh out) + ConditionalSupport 2x64",
    obs_dim: BENCH_OBS_DIM,
    act_dim: BENCH_ACT_DIM,
    ticks: options.ticks,
    tick_us_p50: r(percentile(tickUs, 0.5)),
    tick_us_p99: r(percentile(tickUs, 0.99)),
    tick_us_max: r(tickUs[tickUs.length - 1]),
    tick_cpu_us_p50: r(percentile(cpuUs, 0.5)),
    tick_cpu_us_p99: r(percentile(cpuUs, 0.99)),
    policy_us_p50: r(percentile(policyUs, 0.5)),
    policy_us_p99: r(percentile(policyUs, 0.99)),
    bytes_per_tick: Math.round(bytes * 100) / 100,
    heap_ticks: heapTicks,
    rate_hz: rateHz,
    wall_seconds: options.seconds,
    thread: run.thread,
    spin_ms: spinMs,
    ...run.summary,
    sources,
  };
}
