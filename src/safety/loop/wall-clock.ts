/**
 * Wall-clock time for real loops: a scheduler whose now() is high-resolution epoch milliseconds
 * (performance.timeOrigin + performance.now()) and whose timers run when the loop polls it, and a drift-free
 * waiter that sleeps (Atomics.wait) until just before a slot and spins the rest.
 */
import { performance } from "node:perf_hooks";
import { ClockScheduler } from "./clock-scheduler.js";

/**
 * Monitor timers (watchdogs) for a loop that never yields to its event loop (it sleeps in Atomics.wait and
 * spins): they fire in the loop's own thread when it calls `poll()` between ticks, never inside a tick.
 */
export class PolledWallClock extends ClockScheduler {
  private readonly origin: number;

  constructor() {
    super(performance.timeOrigin + performance.now());
    this.origin = performance.timeOrigin;
  }

  override now(): number {
    return this.origin + performance.now();
  }

  /** Runs every timer due by now. */
  poll(): void {
    this.advanceTo(this.now());
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const SPIN_READS = 1000;

/** Blocks until performance.now() >= `targetMs`: sleeps until `spinMs` before it, then busy-waits. */
export function waitUntil(targetMs: number, spinMs = 0.3): void {
  const remaining = targetMs - performance.now();
  if (remaining > spinMs) Atomics.wait(sleeper, 0, 0, remaining - spinMs);
  // Each performance.now() allocates: reading it back to back, a 1 ms spin allocated ~90 KB and the loop's
  // own garbage triggered collections. Between reads, 1,000 shared-memory loads (~10 µs here): ~1.4 KB/ms.
  while (performance.now() < targetMs) {
    for (let i = 0; i < SPIN_READS; i++) Atomics.load(sleeper, 0);
  }
}
