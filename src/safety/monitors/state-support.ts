/**
 * Out-of-distribution state: an observation dimension outside the dataset's observation box (e.g. the
 * policy package's normalization mean ± k·std) is `error` in the same tick, so the fallback acts on states
 * the policy never saw.
 */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from "rxjs";
import { ConfigError, ShapeMismatchError } from "../../core/errors.js";
import { safetyEvent, type SafetyEvent } from "../events.js";
import { monitorOperator } from "./monitor-operator.js";
import type { VectorSample } from "./non-finite-guard.js";

export interface StateSupportConfig {
  lo: ArrayLike<number>;
  hi: ArrayLike<number>;
  names?: readonly string[];
  scheduler?: SchedulerLike;
}

/** The box mean ± k·std per dimension. */
export function stateBoxFromStats(
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
  k: number,
): { lo: Float64Array; hi: Float64Array } {
  if (mean.length !== std.length)
    throw new ShapeMismatchError("state support: std length", mean.length, std.length);
  if (!(k > 0)) throw new ConfigError("state_support", "k", "must be > 0", { actual: String(k) });
  const lo = new Float64Array(mean.length);
  const hi = new Float64Array(mean.length);
  for (let i = 0; i < mean.length; i++) {
    lo[i] = mean[i] - k * Math.abs(std[i]);
    hi[i] = mean[i] + k * Math.abs(std[i]);
  }
  return { lo, hi };
}

export function stateSupport(config: StateSupportConfig): OperatorFunction<VectorSample, SafetyEvent> {
  const { lo, hi, names } = config;
  if (lo.length !== hi.length) throw new ShapeMismatchError("state support: hi length", lo.length, hi.length);
  for (let i = 0; i < lo.length; i++) {
    if (!(lo[i] <= hi[i]))
      throw new ConfigError("state_support", `box[${i}]`, "must be finite with lo <= hi", {
        actual: `[${lo[i]}, ${hi[i]}]`,
      });
  }
  return monitorOperator<VectorSample>("state_support", config.scheduler ?? asyncScheduler, (ctx) => ({
    onValue(s) {
      if (s.values.length !== lo.length) {
        ctx.emit(
          safetyEvent(
            "state_support",
            "shape",
            "error",
            lo.length,
            s.values.length,
            s.stamp,
            `observation has ${s.values.length} values, expected ${lo.length}`,
          ),
        );
        return;
      }
      for (let i = 0; i < lo.length; i++) {
        const v = s.values[i];
        if (v < lo[i] || v > hi[i]) {
          const name = names && names[i] !== undefined ? names[i] : String(i);
          const limit = v < lo[i] ? lo[i] : hi[i];
          ctx.emit(
            safetyEvent(
              "state_support",
              name,
              "error",
              limit,
              v,
              s.stamp,
              `observation ${name} = ${v.toPrecision(4)} outside the dataset's range [${lo[i].toPrecision(4)}, ${hi[i].toPrecision(4)}]`,
            ),
          );
          return;
        }
      }
    },
  }));
}
