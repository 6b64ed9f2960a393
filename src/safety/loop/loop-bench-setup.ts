/**
 * The control tick `tether bench loop` measures, built the same way on whichever thread runs it: RL-EVAL's
 * plain-TS PolicyRunner (src/policy/runner.ts) with random 2×256 ReLU weights (obs 12, act 6: a six-joint
 * synthetic arm), the package's ConditionalSupport (Gaussian MLP, 2×64 hidden) evaluated every tick for the
 * state-conditional clamp, the Shield and every monitor in a SafetyCore on a polled wall clock.
 *
 * The state follows a bounded trajectory (a slow sine per joint) rather than the random policy's commands,
 * so the loop measures the policy path, not an e-stop after a random policy crashed the arm.
 */
import { Rng } from "../../core/rng.js";
import { PolicyRunner } from "../../policy/runner.js";
import { ConditionalSupport } from "../../policy/support.js";
import type { DenseLayerWeights, Activation } from "../../policy/network.js";
import { hardLimitsFromSpec } from "../clamps/hard-limits.js";
import { actionBoxFromQuantiles } from "../clamps/action-box.js";
import { meanSpreadSupport } from "../clamps/support-clamp.js";
import { Shield } from "../clamps/shield.js";
import { controllerFromRunner, type ControlSource } from "../fallback.js";
import { SafetyCore } from "../safety-core.js";
import { SyntheticPlant, syntheticArmSpec } from "./synthetic-plant.js";
import { PolledWallClock } from "./wall-clock.js";
import type { RealtimeTick } from "./realtime-tick.js";

export const BENCH_OBS_DIM = 12;
export const BENCH_ACT_DIM = 6;

export function randomLayers(rng: Rng, dims: number[], activations: Activation[]): DenseLayerWeights[] {
  return dims.slice(1).map((outDim, l) => {
    const inDim = dims[l];
    const scale = Math.sqrt(2 / inDim);
    const weight = new Float32Array(inDim * outDim).map(() => rng.normal(0, scale));
    const bias = new Float32Array(outDim).map(() => rng.normal(0, 0.01));
    return { weight, bias, inDim, outDim, activation: activations[l] };
  });
}

export interface BenchSetup {
  core: SafetyCore;
  clock: PolledWallClock;
  runner: PolicyRunner;
  rng: Rng;
  rateHz: number;
  /** The robot's signals at time `tSec` of the trajectory (one shared buffer). */
  state(tSec: number): Float64Array;
}

export function benchSetup(seed: number): BenchSetup {
  const rng = new Rng(seed);
  const spec = syntheticArmSpec(6);
  const plant = new SyntheticPlant(spec);
  const obsDim = BENCH_OBS_DIM;
  const actDim = BENCH_ACT_DIM;
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
  const clock = new PolledWallClock();
  const core = new SafetyCore({
    spec,
    shield,
    policy: controllerFromRunner(runner),
    scheduler: clock,
    stateBox: { lo: new Float64Array(obsDim).fill(-10), hi: new Float64Array(obsDim).fill(10) },
    supportGap: { window: 100, warnAbove: 0.5, errorAbove: 1 },
  });
  const L = plant.layout;
  const state = (tSec: number): Float64Array => {
    for (let j = 0; j < 6; j++) {
      const w = 2 * Math.PI * (0.3 + 0.1 * j);
      plant.signals[L.position + j] = 0.5 * Math.sin(w * tSec + j);
      plant.signals[L.velocity + j] = 0.5 * w * Math.cos(w * tSec + j);
    }
    return plant.signals;
  };
  return { core, clock, runner, rng, rateHz: spec.control.rate_hz, state };
}

export type SourceCounts = Record<ControlSource, number>;

export const zeroSourceCounts = (): SourceCounts => ({ policy: 0, fallback: 0, hold: 0, estop: 0 });

/** Warm-up ticks before timing, so the JIT has compiled the tick. */
export const WARM_TICKS = 2000;

/** The real-time tick of the wall-clock phase: poll the monitors' timers, then one SafetyCore tick. */
export function createRealtimeTick(options: { seed: number }): RealtimeTick<SourceCounts> {
  const { core, clock, rateHz, state } = benchSetup(options.seed);
  const dt = 1 / rateHz;
  for (let i = 0; i < WARM_TICKS; i++) {
    clock.poll();
    core.tick(clock.now(), state(i * dt));
  }
  const sources = zeroSourceCounts();
  return {
    tick(slot) {
      clock.poll();
      const out = core.tick(clock.now(), state(slot * dt));
      sources[out.source]++;
    },
    finish() {
      core.close();
      return sources;
    },
  };
}
