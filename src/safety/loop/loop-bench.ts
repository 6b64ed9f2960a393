/**
 * `tether bench loop`: the cost of one control tick behind the shield at batch 1, and whether a 500 Hz
 * wall-clock loop keeps its deadlines.
 *
 * The policy is RL-EVAL's plain-TS PolicyRunner (src/policy/runner.ts) with random 2×256 ReLU weights
 * (obs 12, act 6: a six-joint synthetic arm); the support model is the package's ConditionalSupport
 * (Gaussian MLP, 2×64 hidden) evaluated every tick for the state-conditional clamp. A tick = observation
 * from the signals + policy + support model + shield (box, support, rate, hard limits) + all monitors.
 *
 * `tick_cpu_us_*` is the process CPU time (process.cpuUsage) of the same ticks: on a shared, loaded machine
 * it separates the work from time spent preempted. A tick whose policy call took longer than one period by
 * the wall clock counts as a deadline miss inside the core too (source "hold": no fallback is configured).
 *
 * Wall-clock loop: slot k starts at t0 + k·period (drift-free: the schedule never accumulates error);
 * the loop sleeps until 1 ms before the slot and spins the rest (Atomics.wait wakes up to ~1 ms late;
 * spinning 0.3 ms gave 0.43% misses, 1 ms 0.24% on an idle 2-core machine). A slot misses its deadline when its
 * command is not ready by the end of the slot; slots skipped entirely (the loop was late by more than a
 * period) count as misses too.
 */
import { performance } from "node:perf_hooks";
import { Rng } from "../../core/rng.js";
import { PolicyRunner } from "../../policy/runner.js";
import { ConditionalSupport } from "../../policy/support.js";
import type { DenseLayerWeights, Activation } from "../../policy/network.js";
import { hardLimitsFromSpec } from "../clamps/hard-limits.js";
import { actionBoxFromQuantiles } from "../clamps/action-box.js";
import { meanSpreadSupport } from "../clamps/support-clamp.js";
import { Shield } from "../clamps/shield.js";
import { controllerFromRunner } from "../fallback.js";
import { SafetyCore } from "../safety-core.js";
import { SyntheticPlant, syntheticArmSpec } from "./synthetic-plant.js";
import { waitUntil, wallClockScheduler } from "./wall-clock.js";

export interface LoopBenchOptions {
  ticks: number;
  seconds: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LoopBenchResult {
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
  rate_hz: number;
  wall_seconds: number;
  slots: number;
  deadline_misses: number;
  deadline_miss_ratio: number;
  start_late_us_p99: number;
  wall_tick_us_p99: number;
  sources: Record<string, number>;
}

function randomLayers(rng: Rng, dims: number[], activations: Activation[]): DenseLayerWeights[] {
  return dims.slice(1).map((outDim, l) => {
    const inDim = dims[l];
    const scale = Math.sqrt(2 / inDim);
    const weight = new Float32Array(inDim * outDim).map(() => rng.normal(0, scale));
    const bias = new Float32Array(outDim).map(() => rng.normal(0, 0.01));
    return { weight, bias, inDim, outDim, activation: activations[l] };
  });
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function runLoopBench(options: LoopBenchOptions): LoopBenchResult {
  const rng = new Rng(options.seed ?? 0);
  const spec = syntheticArmSpec(6);
  const plant = new SyntheticPlant(spec);
  const obsDim = 12;
  const actDim = 6;
  const runner = new PolicyRunner({
    kind: "deterministic",
    layers: randomLayers(rng, [obsDim, 256, 256, actDim], ["relu", "relu", "tanh"]),
    obsMean: new Float32Array(obsDim),
    obsStd: new Float32Array(obsDim).fill(1),
    actDim,
  });
  const cond = new ConditionalSupport({
    layers: randomLayers(rng, [obsDim, 64, 64, 2 * actDim], ["relu", "relu", "linear"]),
    logStdMin: -5,
    logStdMax: 0,
    squashMean: true,
  });
  const normObs = new Float64Array(obsDim);
  const support = meanSpreadSupport(
    (obs, mean, spread) => {
      runner.normalize(obs, normObs);
      cond.evaluate(normObs, mean, spread);
    },
    actDim,
    3,
  );
  const limits = hardLimitsFromSpec(spec);
  const box = actionBoxFromQuantiles(new Float64Array(actDim).fill(-0.8), new Float64Array(actDim).fill(0.8));
  const shield = new Shield({ limits, box, support, maxDelta: 0.2 });
  const policyCtl = controllerFromRunner(runner);
  const core = new SafetyCore({
    spec,
    shield,
    policy: policyCtl,
    scheduler: wallClockScheduler,
    stateBox: { lo: new Float64Array(obsDim).fill(-10), hi: new Float64Array(obsDim).fill(10) },
    supportGap: { window: 100, warnAbove: 0.5, errorAbove: 1 },
  });
  // The state follows a bounded trajectory (a slow sine per joint) rather than the random policy's commands,
  // so the loop measures the policy path, not an e-stop after a random policy crashed the arm.
  const L = plant.layout;
  const state = (tSec: number): Float64Array => {
    for (let j = 0; j < 6; j++) {
      const w = 2 * Math.PI * (0.3 + 0.1 * j);
      plant.signals[L.position + j] = 0.5 * Math.sin(w * tSec + j);
      plant.signals[L.velocity + j] = 0.5 * w * Math.cos(w * tSec + j);
    }
    return plant.signals;
  };
  const dt = 1 / spec.control.rate_hz;
  const sources: Record<string, number> = {};
  const clock = wallClockScheduler;

  // Phase 1: back-to-back ticks.
  const tickUs = new Float64Array(options.ticks);
  // CPU time of the same ticks (process.cpuUsage): separates the work from preemption on a busy machine.
  const cpuUs = new Float64Array(options.ticks);
  const warm = Math.min(2000, options.ticks);
  for (let i = 0; i < warm; i++) core.tick(clock.now(), state(i * dt));
  for (let i = 0; i < options.ticks; i++) {
    const signals = state((warm + i) * dt);
    const stamp = clock.now();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = core.tick(stamp, signals);
    tickUs[i] = (performance.now() - t0) * 1000;
    const c1 = process.cpuUsage(c0);
    cpuUs[i] = c1.user + c1.system;
    sources[out.source] = (sources[out.source] ?? 0) + 1;
  }
  tickUs.sort();
  cpuUs.sort();

  const policyUs = new Float64Array(Math.min(options.ticks, 20000));
  const obs = new Float32Array(obsDim);
  const act = new Float64Array(actDim);
  for (let i = 0; i < policyUs.length; i++) {
    obs[i % obsDim] = rng.normal(0, 0.5);
    const t0 = performance.now();
    runner.act(obs, act);
    policyUs[i] = (performance.now() - t0) * 1000;
  }
  policyUs.sort();

  // Phase 2: drift-free wall-clock loop.
  const periodMs = 1000 / spec.control.rate_hz;
  const totalSlots = Math.round((options.seconds * 1000) / periodMs);
  const lateUs: number[] = [];
  const wallUs: number[] = [];
  let misses = 0;
  let slot = 0;
  const start = performance.now() + 5;
  while (slot < totalSlots) {
    const target = start + slot * periodMs;
    waitUntil(target, 1.0);
    const signals = state(slot * dt);
    const begin = performance.now();
    const out = core.tick(clock.now(), signals);
    const end = performance.now();
    lateUs.push((begin - target) * 1000);
    wallUs.push((end - begin) * 1000);
    if (end > target + periodMs) misses++;
    sources[out.source] = (sources[out.source] ?? 0) + 1;
    // Next slot: skip every slot whose end has already passed (each skipped slot is a miss).
    let next = slot + 1;
    const now = performance.now();
    while (next < totalSlots && start + (next + 1) * periodMs <= now) {
      misses++;
      next++;
    }
    slot = next;
    if (options.onProgress && slot % 500 === 0) options.onProgress(slot, totalSlots);
  }
  core.close();
  const lateSorted = Float64Array.from(lateUs).sort();
  const wallSorted = Float64Array.from(wallUs).sort();
  const r = (v: number): number => Math.round(v * 10) / 10;
  return {
    policy:
      "src/policy PolicyRunner, random 2x256 ReLU weights (deterministic, tanh out) + ConditionalSupport 2x64",
    obs_dim: obsDim,
    act_dim: actDim,
    ticks: options.ticks,
    tick_us_p50: r(percentile(tickUs, 0.5)),
    tick_us_p99: r(percentile(tickUs, 0.99)),
    tick_us_max: r(tickUs[tickUs.length - 1]),
    tick_cpu_us_p50: r(percentile(cpuUs, 0.5)),
    tick_cpu_us_p99: r(percentile(cpuUs, 0.99)),
    policy_us_p50: r(percentile(policyUs, 0.5)),
    policy_us_p99: r(percentile(policyUs, 0.99)),
    rate_hz: spec.control.rate_hz,
    wall_seconds: options.seconds,
    slots: totalSlots,
    deadline_misses: misses,
    deadline_miss_ratio: totalSlots > 0 ? misses / totalSlots : 0,
    start_late_us_p99: r(percentile(lateSorted, 0.99)),
    wall_tick_us_p99: r(percentile(wallSorted, 0.99)),
    sources: sources,
  };
}
