/**
 * Control deadline: each tick reports when it started and when the policy output was ready. Ready later
 * than `budgetMs` after the start is a miss (`error`: the loop uses the fallback's command this tick).
 * If no tick reports for `stallMs` (default 2 periods), the loop itself has stalled (`error`, repeated).
 */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import { safetyEvent, type SafetyEvent } from "../events.js";
import { monitorOperator, type Watchdog } from "./monitor-operator.js";

export interface TickTiming {
  tick: number;
  /** Milliseconds: when the tick started and when the policy's output was ready. */
  start: number;
  end: number;
}

export interface ControlDeadlineConfig {
  periodMs: number;
  /** Allowed policy time per tick (default: one period). */
  budgetMs?: number;
  /** Silence after which the loop counts as stalled (default: two periods). */
  stallMs?: number;
  scheduler?: SchedulerLike;
}

export function controlDeadline(config: ControlDeadlineConfig): OperatorFunction<TickTiming, SafetyEvent> {
  const { periodMs } = config;
  const budgetMs = config.budgetMs ?? periodMs;
  const stallMs = config.stallMs ?? 2 * periodMs;
  for (const [field, v] of [
    ["period_ms", periodMs],
    ["budget_ms", budgetMs],
    ["stall_ms", stallMs],
  ] as const) {
    if (!(v > 0 && Number.isFinite(v)))
      throw new ConfigError("control_deadline", field, "must be a finite number > 0", { actual: String(v) });
  }
  const scheduler = config.scheduler ?? asyncScheduler;
  return monitorOperator<TickTiming>("control_deadline", scheduler, (ctx) => {
    let watchdog: Watchdog | undefined;
    let lastTick = -1;
    const stall = (silentMs: number): void => {
      ctx.emit(
        safetyEvent(
          "control_deadline",
          "stall",
          "error",
          stallMs,
          silentMs,
          scheduler.now(),
          `no control tick completed for ${silentMs} ms after tick ${lastTick}`,
        ),
      );
    };
    return {
      onStart() {
        watchdog = ctx.watchdog(stallMs, stall);
      },
      onValue(t) {
        lastTick = t.tick;
        const took = t.end - t.start;
        if (!(took <= budgetMs)) {
          ctx.emit(
            safetyEvent(
              "control_deadline",
              "budget",
              "error",
              budgetMs,
              took,
              t.end,
              `tick ${t.tick}: policy output after ${took.toFixed(3)} ms (budget ${budgetMs} ms)`,
            ),
          );
        }
        if (watchdog) watchdog.kick();
      },
      onStop() {
        if (watchdog) watchdog.stop();
      },
    };
  });
}
