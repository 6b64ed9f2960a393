/**
 * The spec's expressions compiled once per robot: observation, reward and termination as functions of the
 * signal vector. The sim env and the dataset recorder/importer both use these, so a logged step and a
 * simulated step are scored identically.
 */
import { compileExpr, type CompiledExpr } from "../core/expr.js";
import { signalLayout, type SignalLayout } from "./signals.js";
import type { RobotSpec } from "./spec.js";

export interface TaskFunctions {
  layout: SignalLayout;
  obsDim: number;
  actDim: number;
  obsNames: string[];
  actNames: string[];
  /** Writes the observation into `out` (length obsDim). */
  observe(signals: ArrayLike<number>, out: Float32Array | Float64Array, offset?: number): void;
  reward(signals: ArrayLike<number>): number;
  /** Name of the first termination condition that holds, or undefined. */
  terminated(signals: ArrayLike<number>): string | undefined;
  /** Normalized score, D4RL convention; undefined until the robot is calibrated. */
  normalizedScore(episodeReturn: number): number | undefined;
}

export function compileTask(spec: RobotSpec): TaskFunctions {
  const layout = signalLayout(spec);
  const indexOf = (n: string): number => layout.index.get(n) ?? -1;
  const obs: CompiledExpr[] = spec.observation.map((o) => compileExpr(o.expr, indexOf));
  const reward = compileExpr(spec.reward.expr, indexOf);
  const terms = spec.termination.map((t) => ({ name: t.name, fn: compileExpr(t.expr, indexOf) }));
  const ref = spec.reference_returns;
  return {
    layout,
    obsDim: obs.length,
    actDim: spec.actuators.length,
    obsNames: spec.observation.map((o) => o.name),
    actNames: spec.actuators.map((a) => a.name),
    observe(signals, out, offset = 0) {
      for (let i = 0; i < obs.length; i++) out[offset + i] = obs[i](signals);
    },
    reward: (signals) => reward(signals),
    terminated(signals) {
      for (const t of terms) if (t.fn(signals)) return t.name;
      return undefined;
    },
    normalizedScore: (ret) => (ref ? (100 * (ret - ref.random)) / (ref.expert - ref.random) : undefined),
  };
}

/** Policy actions live in [-1, 1]; actuators in their own units. */
export function scaleAction(
  spec: RobotSpec,
  normalized: ArrayLike<number>,
  out: Float64Array | Float32Array,
): void {
  spec.actuators.forEach((a, i) => {
    out[i] = scaleToRange(normalized[i], a.range[0], a.range[1]);
  });
}

/** One [-1, 1] action component onto [low, high] (clipped first); policy.onnx computes the same. */
export function scaleToRange(normalized: number, low: number, high: number): number {
  const x = Math.min(1, Math.max(-1, normalized));
  return low + ((x + 1) / 2) * (high - low);
}

export function unscaleAction(
  spec: RobotSpec,
  actuatorUnits: ArrayLike<number>,
  out: Float64Array | Float32Array,
): void {
  spec.actuators.forEach((a, i) => {
    const [lo, hi] = a.range;
    out[i] = hi === lo ? 0 : (2 * (actuatorUnits[i] - lo)) / (hi - lo) - 1;
  });
}
