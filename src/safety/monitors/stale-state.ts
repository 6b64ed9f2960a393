/**
 * Stale-state watchdog (robot.yaml `control.max_state_age_ms`). Three checks, all `error` (fallback acts):
 *   - a state arrives older than maxAgeMs (its stamp vs the scheduler's clock),
 *   - a state's stamp does not advance past the previous one for more than `maxRepeats` samples in a row
 *     (a frozen sensor republishing its last value; default 0: the first repeat trips),
 *   - no state arrives for maxAgeMs (timer on the scheduler; repeats every maxAgeMs while silent).
 * With `fatalAfterMs`, a state that stays stale (silent, old or frozen) that long escalates to `fatal`
 * (e-stop): holding the last command is a bridge, not a place to stay.
 */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import { safetyEvent, type SafetyEvent } from "../events.js";
import { monitorOperator, type Watchdog } from "./monitor-operator.js";

export interface StampedSample {
  /** Milliseconds, on the same clock as the scheduler. */
  stamp: number;
}

export interface StaleStateConfig {
  maxAgeMs: number;
  /** Staleness that escalates to fatal (default: never). */
  fatalAfterMs?: number;
  /** Consecutive samples with a non-advancing stamp tolerated (jitter between state and control rate). */
  maxRepeats?: number;
  scheduler?: SchedulerLike;
}

export function staleState(config: StaleStateConfig): OperatorFunction<StampedSample, SafetyEvent> {
  const { maxAgeMs } = config;
  if (!(maxAgeMs > 0 && Number.isFinite(maxAgeMs))) {
    throw new ConfigError("stale_state", "max_state_age_ms", "must be a finite number > 0", {
      actual: String(maxAgeMs),
    });
  }
  const maxRepeats = config.maxRepeats ?? 0;
  if (!(Number.isInteger(maxRepeats) && maxRepeats >= 0)) {
    throw new ConfigError("stale_state", "max_repeats", "must be an integer >= 0", {
      actual: String(maxRepeats),
    });
  }
  const fatalAfterMs = config.fatalAfterMs ?? Infinity;
  if (!(fatalAfterMs > maxAgeMs)) {
    throw new ConfigError("stale_state", "fatal_after_ms", "must be greater than max_state_age_ms", {
      actual: String(fatalAfterMs),
    });
  }
  const scheduler = config.scheduler ?? asyncScheduler;
  return monitorOperator<StampedSample>("stale_state", scheduler, (ctx) => {
    let lastStamp = -Infinity;
    let repeats = 0;
    // When the stamp last advanced (scheduler time): how long the state has been stale.
    let lastAdvance = scheduler.now();
    const severity = (staleMs: number): "error" | "fatal" => (staleMs > fatalAfterMs ? "fatal" : "error");
    let watchdog: Watchdog | undefined;
    const silence = (silentMs: number): void => {
      ctx.emit(
        safetyEvent(
          "stale_state",
          "silence",
          severity(silentMs),
          maxAgeMs,
          silentMs,
          scheduler.now(),
          `no state for ${silentMs} ms (max ${maxAgeMs} ms)`,
        ),
      );
    };
    return {
      onStart() {
        watchdog = ctx.watchdog(maxAgeMs, silence);
      },
      onValue(s) {
        const now = scheduler.now();
        if (watchdog) watchdog.kick();
        const age = now - s.stamp;
        if (s.stamp > lastStamp) {
          repeats = 0;
          lastAdvance = now;
        } else {
          repeats++;
        }
        if (repeats > maxRepeats) {
          ctx.emit(
            safetyEvent(
              "stale_state",
              "frozen",
              severity(now - lastAdvance),
              lastStamp,
              s.stamp,
              now,
              `state stamp ${s.stamp} did not advance past ${lastStamp} (frozen sensor?)`,
            ),
          );
        } else if (age > maxAgeMs || !Number.isFinite(age)) {
          ctx.emit(
            safetyEvent(
              "stale_state",
              "age",
              severity(age),
              maxAgeMs,
              age,
              now,
              `state is ${age} ms old (max ${maxAgeMs} ms)`,
            ),
          );
        }
        if (s.stamp > lastStamp) lastStamp = s.stamp;
      },
      onStop() {
        if (watchdog) watchdog.stop();
      },
    };
  });
}
