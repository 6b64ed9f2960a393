/**
 * The training speed benchmark (`tether bench train`): IQL updates per second at the reference shape
 * (obs 17, action 6, 2x256 hidden, batch 256), time per network, and measurements of each wasm lever.
 * `iql_updates_per_s` is the learner the trainer would use (two worker threads on wasm/cpu with two cores,
 * see learner-threads.ts); the single-thread IqlLearner is measured too, and `speedup` is their ratio.
 * `cql_updates_per_s` is CqlLearner (single thread, default config) at the same shape.
 * Reports wall-clock and process CPU time: on a shared machine wall-clock includes waiting for a core.
 * tf.grad is not measured end to end: tfjs-core's Node bundle registers no gradients at all, and the
 * products its matMul gradient would use are the `matmul_transposed_*` levers below.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../core/rng.js";
import { create as createCql } from "./algos/cql.js";
import { create as createIql } from "./algos/iql.js";
import { ParallelIqlLearner } from "./algos/iql-parallel.js";
import type { SelectedBackend } from "./backend.js";
import { learnerThreads, type WorkerCount } from "./learner-threads.js";
import { randomBatch } from "./random-batch.js";
import { cpuSince, threadCpu, type ThreadCpu } from "./thread-cpu.js";

export interface BenchTrainOptions {
  obsDim: number;
  actDim: number;
  hidden: number[];
  batchSize: number;
  warmup: number;
  updates: number;
  /** Timed CQL updates (each is several times an IQL update: 3·10 sampled actions per state). */
  cqlUpdates: number;
  /** Also measure the levers (transposed matMul, fused matMul, slice kernel). */
  levers: boolean;
  /** Learner threads for the production figure (default: what the trainer would pick). */
  workers?: number;
  onProgress?: (stage: string) => void;
}

export const BENCH_TRAIN_DEFAULTS: BenchTrainOptions = {
  obsDim: 17,
  actDim: 6,
  hidden: [256, 256],
  batchSize: 256,
  warmup: 5,
  updates: 60,
  cqlUpdates: 20,
  levers: true,
};

export interface BenchTrainResult {
  benchmark: "train";
  backend: string;
  shape: { obs: number; act: number; hidden: number[]; batch: number };
  /** Threads of the learner behind iql_updates_per_s. */
  workers: WorkerCount;
  iql_updates_per_s: number;
  iql_updates_per_s_single_thread: number;
  /** iql_updates_per_s / iql_updates_per_s_single_thread. */
  speedup: number;
  iql_updates_per_cpu_s: number;
  cql_updates_per_s: number;
  cql_ms_per_update: number;
  /** With 2 workers, each network's time as its worker measures it (v + actor and q run at the same time). */
  ms_per_update: { v: number; actor: number; q: number; total: number };
  /**
   * Per-thread CPU and run-queue ms per update (Linux): what each thread computed, and how long it waited
   * for a core. On a shared machine, wall-clock minus queueing approximates a quiet machine's time.
   */
  thread_ms_per_update?: {
    single_thread: ThreadCpu;
    q_worker?: ThreadCpu;
    value_actor_worker?: ThreadCpu;
  };
  /** With 2 workers, the ms per update each worker waits for the other's hand-over. */
  handoff_wait_ms?: { q_worker: number; value_actor_worker: number };
  cpu_ms_per_update: number;
  cpu_ms_per_update_single_thread: number;
  leaked_tensors_per_update: number;
  levers?: Record<string, number>;
  load_average: number;
}

/** Median of `repeats` timings of `fn` in ms (each timing averages `inner` calls). */
function timeOp(fn: () => tf.Tensor, inner = 20, repeats = 5): number {
  for (let i = 0; i < 3; i++) fn().dispose();
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    for (let i = 0; i < inner; i++) fn().dispose();
    samples.push((performance.now() - t) / inner);
  }
  samples.sort((a, b) => a - b);
  return Number(samples[Math.floor(samples.length / 2)].toFixed(3));
}

interface Measured {
  wallMs: number;
  cpuMs: number;
  thread?: { single?: ThreadCpu; q?: ThreadCpu; valueActor?: ThreadCpu };
  phases: { v: number; actor: number; q: number };
  leaked: number;
  waitMs?: { q: number; valueActor: number };
}

const round2 = (x: number): number => Number(x.toFixed(2));

function perUpdate(t: ThreadCpu | undefined, updates = 1): ThreadCpu | undefined {
  return t && { cpuMs: round2(t.cpuMs / updates), queuedMs: round2(t.queuedMs / updates) };
}

/** Wall-clock and process CPU (all threads) per update over `updates` calls. */
function timeLoop(updates: number, update: () => void): { wallMs: number; cpuMs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) update();
  const wallMs = (performance.now() - t0) / updates;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 / updates };
}

function measureIql(o: BenchTrainOptions): Measured {
  const rng = new Rng(0);
  const learner = createIql({ hidden: o.hidden }, { obsDim: o.obsDim, actDim: o.actDim }, rng);
  const batch = randomBatch(rng, o.batchSize, o.obsDim, o.actDim, 0.01);
  try {
    for (let i = 0; i < o.warmup; i++) learner.update(batch);
    const phases = { v: 0, actor: 0, q: 0 };
    let mark = 0;
    learner.phaseHook = (phase) => {
      const now = performance.now();
      phases[phase] += now - mark;
      mark = now;
    };
    const before = tf.memory().numTensors;
    const cpu0 = threadCpu();
    const { wallMs, cpuMs } = timeLoop(o.updates, () => {
      mark = performance.now();
      learner.update(batch);
    });
    const single = perUpdate(cpuSince(cpu0, threadCpu()), o.updates);
    const leaked = (tf.memory().numTensors - before) / o.updates;
    for (const k of Object.keys(phases) as (keyof typeof phases)[]) phases[k] = round2(phases[k] / o.updates);
    return { wallMs, cpuMs, phases, leaked, thread: single && { single } };
  } finally {
    learner.dispose();
  }
}

function measureCql(o: BenchTrainOptions): number {
  const rng = new Rng(0);
  const learner = createCql({ hidden: o.hidden }, { obsDim: o.obsDim, actDim: o.actDim }, rng);
  const batch = randomBatch(rng, o.batchSize, o.obsDim, o.actDim, 0.01);
  try {
    for (let i = 0; i < Math.min(o.warmup, 3); i++) learner.update(batch);
    return timeLoop(o.cqlUpdates, () => learner.update(batch)).wallMs;
  } finally {
    learner.dispose();
  }
}

async function measureParallelIql(o: BenchTrainOptions, backend: "wasm" | "cpu"): Promise<Measured> {
  const rng = new Rng(0);
  const learner = await ParallelIqlLearner.start(
    { hidden: o.hidden },
    { obsDim: o.obsDim, actDim: o.actDim },
    rng,
    { backend, batchCapacity: o.batchSize },
  );
  const batch = randomBatch(rng, o.batchSize, o.obsDim, o.actDim, 0.01);
  try {
    for (let i = 0; i < o.warmup; i++) learner.update(batch);
    learner.timings();
    const before = learner.liveTensors();
    const { wallMs, cpuMs } = timeLoop(o.updates, () => learner.update(batch));
    const t = learner.timings();
    const leaked = (learner.liveTensors() - before) / o.updates;
    return {
      wallMs,
      cpuMs,
      phases: { v: round2(t.ms.v), actor: round2(t.ms.actor), q: round2(t.ms.q) },
      leaked,
      waitMs: t.waitMs,
      thread: t.thread && { q: t.thread.q, valueActor: t.thread.valueActor },
    };
  } finally {
    learner.dispose();
  }
}

export async function benchTrain(
  backend: SelectedBackend,
  options: Partial<BenchTrainOptions> = {},
): Promise<BenchTrainResult> {
  const o = { ...BENCH_TRAIN_DEFAULTS, ...options };
  const { loadavg } = await import("node:os");
  o.onProgress?.(
    `IQL ${o.updates} updates at obs ${o.obsDim}, act ${o.actDim}, hidden ${o.hidden.join("x")}, batch ${o.batchSize}`,
  );
  const { workers } = learnerThreads("iql", backend.name, o.workers);
  const single = measureIql(o);
  let main = single;
  if (workers === 2) {
    o.onProgress?.("IQL on 2 worker threads (twin Q | V + actor)");
    main = await measureParallelIql(o, backend.name as "wasm" | "cpu");
  }
  o.onProgress?.(`CQL ${o.cqlUpdates} updates, same shape`);
  const cqlMs = measureCql(o);
  const result: BenchTrainResult = {
    benchmark: "train",
    backend: backend.name,
    shape: { obs: o.obsDim, act: o.actDim, hidden: o.hidden, batch: o.batchSize },
    workers,
    iql_updates_per_s: round2(1000 / main.wallMs),
    iql_updates_per_s_single_thread: round2(1000 / single.wallMs),
    speedup: round2(single.wallMs / main.wallMs),
    iql_updates_per_cpu_s: round2(1000 / main.cpuMs),
    cql_updates_per_s: round2(1000 / cqlMs),
    cql_ms_per_update: round2(cqlMs),
    ms_per_update: { ...main.phases, total: round2(main.wallMs) },
    cpu_ms_per_update: round2(main.cpuMs),
    cpu_ms_per_update_single_thread: round2(single.cpuMs),
    leaked_tensors_per_update: main.leaked,
    load_average: Number(loadavg()[0].toFixed(2)),
  };
  if (single.thread?.single)
    result.thread_ms_per_update = {
      single_thread: single.thread.single,
      ...(main.thread?.q && { q_worker: perUpdate(main.thread.q) }),
      ...(main.thread?.valueActor && { value_actor_worker: perUpdate(main.thread.valueActor) }),
    };
  if (main.waitMs)
    result.handoff_wait_ms = {
      q_worker: round2(main.waitMs.q),
      value_actor_worker: round2(main.waitMs.valueActor),
    };
  if (o.levers) {
    o.onProgress?.("levers: matMul variants, fused matMul, slice kernel");
    const n = o.hidden[0];
    const a = tf.randomNormal([o.batchSize, n]) as tf.Tensor2D;
    const b = tf.randomNormal([n, n]) as tf.Tensor2D;
    const bias = tf.randomNormal([n]) as tf.Tensor1D;
    const flat = tf.randomNormal([150_000]);
    const levers: Record<string, number> = {
      matmul_ms: timeOp(() => tf.matMul(a, b)),
      matmul_transposed_b_ms: timeOp(() => tf.matMul(a, b, false, true), 5, 3),
      transpose_then_matmul_ms: timeOp(() => tf.tidy(() => tf.matMul(a, tf.transpose(b)))),
      matmul_transposed_a_ms: timeOp(() => tf.matMul(a, b, true, false), 5, 3),
      transpose_ms: timeOp(() => tf.transpose(b)),
      fused_matmul_bias_relu_ms: timeOp(() => tf.fused.matMul({ a, b, bias, activation: "relu" })),
      matmul_add_relu_ms: timeOp(() => tf.tidy(() => tf.relu(tf.add(tf.matMul(a, b), bias)))),
      small_op_ms: timeOp(() => tf.add(bias, bias), 100),
    };
    if (backend.name === "wasm") {
      const { installFastSlice, uninstallFastSlice } = await import("./wasm-kernels.js");
      levers.slice_fast_ms = timeOp(() => tf.slice(flat, [1000], [n]));
      uninstallFastSlice();
      levers.slice_stock_ms = timeOp(() => tf.slice(flat, [1000], [n]));
      o.onProgress?.("IQL with the stock Slice kernel");
      const stock = measureIql({ ...o, updates: Math.max(10, Math.floor(o.updates / 3)) });
      levers.iql_updates_per_s_stock_slice = Number((1000 / stock.wallMs).toFixed(2));
      levers.iql_cpu_ms_stock_slice = Number(stock.cpuMs.toFixed(2));
      installFastSlice();
    }
    tf.dispose([a, b, bias, flat]);
    result.levers = levers;
  }
  return result;
}
