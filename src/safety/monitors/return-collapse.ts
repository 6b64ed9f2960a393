/**
 * Return collapse over episodes: the mean return of the last `window` episodes falling more than `maxDrop`
 * below `baseline` (e.g. the behavior policy's or the last promoted version's return) is reported with
 * `severity` (default `error`; fine-tuning and canary stages roll back on it).
 */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import { safetyEvent, type SafetyEvent, type Severity } from "../events.js";
import { monitorOperator } from "./monitor-operator.js";

export interface EpisodeSample {
  stamp: number;
  episode: number;
  return: number;
}

export interface ReturnCollapseConfig {
  window: number;
  baseline: number;
  maxDrop: number;
  severity?: Severity;
  scheduler?: SchedulerLike;
}

export function returnCollapse(config: ReturnCollapseConfig): OperatorFunction<EpisodeSample, SafetyEvent> {
  const { window, baseline, maxDrop } = config;
  const severity = config.severity ?? "error";
  if (!(Number.isInteger(window) && window >= 1)) {
    throw new ConfigError("return_collapse", "window", "must be an integer >= 1", { actual: String(window) });
  }
  if (!Number.isFinite(baseline))
    throw new ConfigError("return_collapse", "baseline", "must be finite", { actual: String(baseline) });
  if (!(maxDrop >= 0 && Number.isFinite(maxDrop))) {
    throw new ConfigError("return_collapse", "max_drop", "must be a finite number >= 0", {
      actual: String(maxDrop),
    });
  }
  const floor = baseline - maxDrop;
  return monitorOperator<EpisodeSample>("return_collapse", config.scheduler ?? asyncScheduler, (ctx) => {
    const ring = new Float64Array(window);
    let count = 0;
    return {
      onValue(e) {
        // A non-finite return is a collapse by itself.
        ring[count % window] = Number.isFinite(e.return) ? e.return : -Infinity;
        count++;
        if (count < window) return;
        let sum = 0;
        for (let i = 0; i < window; i++) sum += ring[i];
        const mean = sum / window;
        if (!(mean >= floor)) {
          ctx.emit(
            safetyEvent(
              "return_collapse",
              "",
              severity,
              floor,
              mean,
              e.stamp,
              `mean return ${mean.toFixed(3)} of the last ${window} episodes (to ${e.episode}) below ${floor.toFixed(3)} (baseline ${baseline} - ${maxDrop})`,
            ),
          );
        }
      },
    };
  });
}
