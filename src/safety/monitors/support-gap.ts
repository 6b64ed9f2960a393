/**
 * Rolling support-gap monitor: the mean, over the last `window` ticks, of how far the policy's proposed action
 * lies outside the dataset's support (0 inside). Above `warnAbove`: `warn`; above `errorAbove`: `error`
 * (the fallback acts while the policy keeps proposing off-support actions). Reported once the window is full.
 */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import { safetyEvent, type SafetyEvent } from "../events.js";
import { monitorOperator } from "./monitor-operator.js";

export interface GapSample {
  stamp: number;
  /** Distance outside the support, normalized action units (>= 0). */
  gap: number;
}

export interface SupportGapConfig {
  window: number;
  warnAbove: number;
  errorAbove: number;
  scheduler?: SchedulerLike;
}

export function supportGap(config: SupportGapConfig): OperatorFunction<GapSample, SafetyEvent> {
  const { window, warnAbove, errorAbove } = config;
  if (!(Number.isInteger(window) && window >= 1)) {
    throw new ConfigError("support_gap", "window", "must be an integer >= 1", { actual: String(window) });
  }
  if (!(warnAbove >= 0 && errorAbove >= warnAbove && Number.isFinite(errorAbove))) {
    throw new ConfigError(
      "support_gap",
      "error_above",
      "must be finite with 0 <= warn_above <= error_above",
      {
        actual: `warn_above=${warnAbove}, error_above=${errorAbove}`,
      },
    );
  }
  return monitorOperator<GapSample>("support_gap", config.scheduler ?? asyncScheduler, (ctx) => {
    const ring = new Float64Array(window);
    let count = 0;
    let sum = 0;
    return {
      onValue(s) {
        // A non-finite gap counts as the worst case rather than poisoning the sum.
        const g = Number.isFinite(s.gap) ? Math.max(0, s.gap) : errorAbove * 2 + 1;
        const slot = count % window;
        if (count >= window) sum -= ring[slot];
        ring[slot] = g;
        sum += g;
        count++;
        if (count < window) return;
        const mean = sum / window;
        if (mean > errorAbove) {
          ctx.emit(
            safetyEvent(
              "support_gap",
              "",
              "error",
              errorAbove,
              mean,
              s.stamp,
              `support gap ${mean.toFixed(4)} over ${window} ticks > ${errorAbove}`,
            ),
          );
        } else if (mean > warnAbove) {
          ctx.emit(
            safetyEvent(
              "support_gap",
              "",
              "warn",
              warnAbove,
              mean,
              s.stamp,
              `support gap ${mean.toFixed(4)} over ${window} ticks > ${warnAbove}`,
            ),
          );
        }
      },
    };
  });
}
