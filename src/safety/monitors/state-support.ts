/**
 * Out-of-distribution state: an observation dimension outside the dataset's observation box (e.g. the
 * policy package's normalization mean ± k·std). Just past the edge (by at most `errorBeyond` of the box's
 * half-width: mean ± 1.5k·std by default) is `warn`: the policy extrapolates a little, as it does on most
 * episodes. Further out is `error` in the same tick, so the fallback acts on states the policy never saw.
 * One event per sample, for the dimension furthest out.
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
  /** Beyond the box by more than this fraction of its half-width is `error` (default 0.5). */
  errorBeyond?: number;
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
  const errorBeyond = config.errorBeyond ?? 0.5;
  if (!(errorBeyond >= 0))
    throw new ConfigError("state_support", "error_beyond", "must be a number >= 0", {
      actual: String(errorBeyond),
    });
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
      let worst = -1;
      let worstExcess = 0;
      for (let i = 0; i < lo.length; i++) {
        const v = s.values[i];
        if (v < lo[i] || v > hi[i]) {
          const half = (hi[i] - lo[i]) / 2;
          const excess = (v < lo[i] ? lo[i] - v : v - hi[i]) / half; // Infinity for a zero-width box
          if (worst < 0 || excess > worstExcess) {
            worst = i;
            worstExcess = excess;
          }
        }
      }
      if (worst < 0) return;
      const i = worst;
      const v = s.values[i];
      const name = names && names[i] !== undefined ? names[i] : String(i);
      const limit = v < lo[i] ? lo[i] : hi[i];
      ctx.emit(
        safetyEvent(
          "state_support",
          name,
          worstExcess > errorBeyond ? "error" : "warn",
          limit,
          v,
          s.stamp,
          `observation ${name} = ${v.toPrecision(4)} outside the dataset's range [${lo[i].toPrecision(4)}, ${hi[i].toPrecision(4)}]`,
        ),
      );
    },
  }));
}
