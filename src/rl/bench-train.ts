/**
 * The training speed benchmark (`tether bench train`): updates per second of every learner at the reference
 * shape (obs 17, action 6, 2x256 hidden, batch 256), all on the engine (ONNX Runtime, one run per update):
 * `iql_updates_per_s` on `threads` intra-op threads, `iql_updates_per_s_single_thread` on one, `speedup`
 * their ratio. Reports wall-clock and process CPU time (`cpu_ms_by_algo`): on a shared machine wall-clock
 * includes waiting for a core.
 */
import { Rng } from "../core/rng.js";
import { availableParallelism } from "node:os";
import { configureEngine, engineOptions, type Device } from "../tensor/session.js";
import { create as createIql } from "./algos/iql.js";
import type { AlgoName, Learner } from "./algos/learner.js";
import { createLearner } from "./algos/registry.js";
import { randomBatch } from "./random-batch.js";

export interface BenchTrainOptions {
  obsDim: number;
  actDim: number;
  hidden: number[];
  batchSize: number;
  warmup: number;
  updates: number;
  /** Timed CQL updates (each is several times an IQL update: 3·10 sampled actions per state). */
  cqlUpdates: number;
  /** ONNX Runtime intra-op threads for the main figures (default: all cores). */
  threads?: number;
  device?: Device;
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
};

export interface BenchTrainResult {
  benchmark: "train";
  /** The engine of the IQL figures, e.g. "onnxruntime-cpu". */
  backend: string;
  /** Which engine each figure ran on ("onnxruntime-cpu"). */
  engines: Record<AlgoName, string>;
  shape: { obs: number; act: number; hidden: number[]; batch: number };
  /** JavaScript threads of the learner (the engine threads inside ONNX Runtime, see `threads`). */
  workers: 1;
  /** ONNX Runtime intra-op threads behind iql_updates_per_s and the other algorithms' figures. */
  threads: number;
  iql_updates_per_s: number;
  iql_updates_per_s_single_thread: number;
  /** iql_updates_per_s / iql_updates_per_s_single_thread. */
  speedup: number;
  iql_updates_per_cpu_s: number;
  awac_updates_per_s: number;
  td3bc_updates_per_s: number;
  bc_updates_per_s: number;
  cql_updates_per_s: number;
  cql_ms_per_update: number;
  /** Wall ms per update of each learner; `total` is IQL on `threads` threads. */
  ms_per_update: {
    total: number;
    iql: number;
    iql_single_thread: number;
    awac: number;
    td3bc: number;
    bc: number;
    cql: number;
  };
  cpu_ms_per_update: number;
  cpu_ms_per_update_single_thread: number;
  /**
   * Process CPU ms (all threads) per update of each learner, keyed as ms_per_update: on a shared machine the
   * wall-clock figures mostly measure the other processes, CPU time much less so.
   */
  cpu_ms_by_algo: Omit<BenchTrainResult["ms_per_update"], "total">;
  load_average: number;
}

const round2 = (x: number): number => Number(x.toFixed(2));

/** Wall-clock and process CPU (all threads) per update over `updates` calls. */
function timeLoop(updates: number, update: () => void): { wallMs: number; cpuMs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) update();
  const wallMs = (performance.now() - t0) / updates;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 / updates };
}

/** A learner's wall and CPU ms per update at the benchmark shape (the first updates build its graph). */
function measure(
  o: BenchTrainOptions,
  create: (rng: Rng) => Learner,
  updates: number,
): { wallMs: number; cpuMs: number } {
  const rng = new Rng(0);
  const learner = create(rng);
  const batch = randomBatch(rng, o.batchSize, o.obsDim, o.actDim, 0.01);
  try {
    for (let i = 0; i < o.warmup; i++) learner.update(batch);
    return timeLoop(updates, () => learner.update(batch));
  } finally {
    learner.dispose();
  }
}

export async function benchTrain(options: Partial<BenchTrainOptions> = {}): Promise<BenchTrainResult> {
  const o = { ...BENCH_TRAIN_DEFAULTS, ...options };
  const { loadavg } = await import("node:os");
  const threads = o.threads ?? availableParallelism();
  const device = o.device ?? "cpu";
  const saved = engineOptions();
  const dims = { obsDim: o.obsDim, actDim: o.actDim };
  const engines = Object.fromEntries(
    (["iql", "awac", "td3bc", "bc", "cql"] as const).map((a) => [a, `onnxruntime-${device}`]),
  ) as Record<AlgoName, string>;
  const run = (algo: AlgoName, updates: number, n: number) => {
    configureEngine({ device, threads: n });
    return measure(o, (rng) => createLearner(algo, { hidden: o.hidden }, dims, rng), updates);
  };
  let single, main, awac, td3bc, bc, cql;
  try {
    const shape = `obs ${o.obsDim}, act ${o.actDim}, hidden ${o.hidden.join("x")}, batch ${o.batchSize}`;
    o.onProgress?.(`IQL ${o.updates} updates at ${shape}, 1 thread`);
    configureEngine({ device, threads: 1 });
    single = measure(o, (rng) => createIql({ hidden: o.hidden }, dims, rng), o.updates);
    o.onProgress?.(`IQL on ${threads} threads`);
    main = run("iql", o.updates, threads);
    o.onProgress?.(`AWAC, TD3+BC, BC ${o.updates} updates each, CQL ${o.cqlUpdates}`);
    awac = run("awac", o.updates, threads);
    td3bc = run("td3bc", o.updates, threads);
    bc = run("bc", o.updates, threads);
    cql = run("cql", o.cqlUpdates, threads);
  } finally {
    configureEngine(saved);
  }
  return {
    benchmark: "train",
    backend: engines.iql,
    engines,
    shape: { obs: o.obsDim, act: o.actDim, hidden: o.hidden, batch: o.batchSize },
    workers: 1,
    threads,
    iql_updates_per_s: round2(1000 / main.wallMs),
    iql_updates_per_s_single_thread: round2(1000 / single.wallMs),
    speedup: round2(single.wallMs / main.wallMs),
    iql_updates_per_cpu_s: round2(1000 / main.cpuMs),
    awac_updates_per_s: round2(1000 / awac.wallMs),
    td3bc_updates_per_s: round2(1000 / td3bc.wallMs),
    bc_updates_per_s: round2(1000 / bc.wallMs),
    cql_updates_per_s: round2(1000 / cql.wallMs),
    cql_ms_per_update: round2(cql.wallMs),
    ms_per_update: {
      total: round2(main.wallMs),
      iql: round2(main.wallMs),
      iql_single_thread: round2(single.wallMs),
      awac: round2(awac.wallMs),
      td3bc: round2(td3bc.wallMs),
      bc: round2(bc.wallMs),
      cql: round2(cql.wallMs),
    },
    cpu_ms_per_update: round2(main.cpuMs),
    cpu_ms_per_update_single_thread: round2(single.cpuMs),
    cpu_ms_by_algo: {
      iql: round2(main.cpuMs),
      iql_single_thread: round2(single.cpuMs),
      awac: round2(awac.cpuMs),
      td3bc: round2(td3bc.cpuMs),
      bc: round2(bc.cpuMs),
      cql: round2(cql.cpuMs),
    },
    load_average: Number(loadavg()[0].toFixed(2)),
  };
}
