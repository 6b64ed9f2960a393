/**
 * Wall-clock time for real loops: a scheduler whose now() is high-resolution epoch milliseconds
 * (performance.timeOrigin + performance.now()), with timers on RxJS's asyncScheduler; and a drift-free
 * waiter that sleeps (Atomics.wait) until just before a slot and spins the rest.
 */
import { asyncScheduler, type SchedulerLike } from "rxjs";
import { performance } from "node:perf_hooks";

export const wallClockScheduler: SchedulerLike = {
  now: () => performance.timeOrigin + performance.now(),
  schedule: asyncScheduler.schedule.bind(asyncScheduler) as SchedulerLike["schedule"],
};

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks until performance.now() >= `targetMs`: sleeps until `spinMs` before it, then busy-waits. */
export function waitUntil(targetMs: number, spinMs = 0.3): void {
  const remaining = targetMs - performance.now();
  if (remaining > spinMs) Atomics.wait(sleeper, 0, 0, remaining - spinMs);
  while (performance.now() < targetMs) {
    // spin
  }
}
