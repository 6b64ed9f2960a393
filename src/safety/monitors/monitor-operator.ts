/**
 * Shared plumbing of every monitor operator: a monitor turns an input stream into a stream of SafetyEvents
 * and never throws into callbacks. A failing input stream or a bug in a check becomes a `fatal` event (the
 * stream ends after an input error); timers run on the injected scheduler and stop on unsubscribe.
 */
import {
  Observable,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from "rxjs";
import { safetyEvent, type SafetyEvent } from "../events.js";

export interface MonitorContext {
  readonly scheduler: SchedulerLike;
  emit(event: SafetyEvent): void;
  /** Runs `work` once after `delayMs` on the scheduler; the returned handle cancels it. */
  after(delayMs: number, work: () => void): Subscription;
  /**
   * A watchdog: `onExpire(silentMs)` runs when `timeoutMs` pass without a `kick()`, and again every
   * `timeoutMs` while silent. `kick()` only stores the time (no timer churn, no allocation per sample).
   */
  watchdog(timeoutMs: number, onExpire: (silentMs: number) => void): Watchdog;
}

export interface Watchdog {
  kick(): void;
  stop(): void;
}

export interface MonitorHandlers<T> {
  onValue(value: T): void;
  /** Called right after subscribing to the input (start timers here). */
  onStart?(): void;
  /** Called once on unsubscribe, completion or input error (cancel timers here). */
  onStop?(): void;
}

export function monitorOperator<T>(
  monitor: string,
  scheduler: SchedulerLike,
  setup: (ctx: MonitorContext) => MonitorHandlers<T>,
): OperatorFunction<T, SafetyEvent> {
  return (source) =>
    new Observable<SafetyEvent>((subscriber) => {
      let stopped = false;
      const ctx: MonitorContext = {
        scheduler,
        emit: (event) => {
          if (!stopped) subscriber.next(event);
        },
        after: (delayMs, work) => scheduler.schedule(() => guarded(work), delayMs),
        watchdog: (timeoutMs, onExpire) => {
          let last = scheduler.now();
          let reported = last;
          const sub = scheduler.schedule(function (this: SchedulerAction<undefined>) {
            const now = scheduler.now();
            const due = Math.max(last, reported) + timeoutMs;
            if (now >= due) {
              reported = now;
              guarded(() => onExpire(now - last));
              this.schedule(undefined, timeoutMs);
            } else {
              this.schedule(undefined, due - now);
            }
          }, timeoutMs);
          return {
            kick: () => {
              last = scheduler.now();
            },
            stop: () => sub.unsubscribe(),
          };
        },
      };
      const handlers = setup(ctx);
      const stop = (): void => {
        if (stopped) return;
        if (handlers.onStop) handlers.onStop();
        stopped = true;
      };
      const failed = (err: unknown): void => {
        ctx.emit(
          safetyEvent(
            monitor,
            "internal",
            "fatal",
            0,
            0,
            scheduler.now(),
            `monitor check failed: ${describe(err)}`,
          ),
        );
      };
      const guarded = (work: () => void): void => {
        try {
          work();
        } catch (err) {
          failed(err);
        }
      };
      const inner = source.subscribe({
        // Inline rather than guarded(() => ...): no closure per sample (this runs every control tick).
        next: (value) => {
          try {
            handlers.onValue(value);
          } catch (err) {
            failed(err);
          }
        },
        error: (err) => {
          ctx.emit(
            safetyEvent(
              monitor,
              "input",
              "fatal",
              0,
              0,
              scheduler.now(),
              `input stream failed: ${describe(err)}`,
            ),
          );
          stop();
          subscriber.complete();
        },
        complete: () => {
          stop();
          subscriber.complete();
        },
      });
      if (!stopped && handlers.onStart) guarded(handlers.onStart);
      return () => {
        stop();
        inner.unsubscribe();
      };
    });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
