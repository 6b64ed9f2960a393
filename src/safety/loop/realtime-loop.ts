/**
 * A drift-free real-time loop, the same on any thread: slot k starts at t0 + k·period (the schedule never
 * accumulates error), the loop sleeps (Atomics.wait) until `spinMs` before the slot and spins the rest, then
 * calls `tick(slot)`. With `prepareMs` and a `prepare` callback, it calls `prepare(slot)` that long before
 * the slot (to wake what the tick will hand work to); with an `after` callback, `after(slot)` once the tick's
 * time is taken (to wake whoever takes the tick's output: waking a sleeping thread costs the waker a system
 * call and an interrupt, which the output does not need to be ready; docs/benchmarks.md). A slot misses its
 * deadline when its tick has not returned by the end of the slot; slots whose end passed before the loop
 * got to them are skipped, and count as misses too.
 *
 * Nothing is allocated per slot: timings go into a LoopRecord preallocated for every slot (on shared memory,
 * so a worker's record is read by the main thread without a copy), progress into a shared counter.
 */
import { performance } from "node:perf_hooks";
import { waitUntil } from "./wall-clock.js";

export interface RealtimeLoopOptions {
  periodMs: number;
  /** Slots to run (Infinity: until `record.stop` is set; the record is then a ring of its last slots). */
  slots: number;
  /**
   * Busy-wait this long before each slot. Default: the whole period, i.e. the loop thread never sleeps and
   * owns one core, as a dedicated control thread does: Atomics.wait wakes up to several ms late, and those
   * late starts were most of the misses left with a 1 ms spin (docs/benchmarks.md, bench loop).
   */
  spinMs?: number;
  /** Delay before slot 0, ms. Default 5. */
  startDelayMs?: number;
  /** Calls `prepare(slot)` this long before each slot, ms (0, default: never). */
  prepareMs?: number;
}

/** What happened to each slot. */
export const SLOT = { ok: 0, missed: 1, skipped: 2 } as const;

/** Per-slot timings of one run; `progress[0]` is the number of slots done (Atomics). */
export interface LoopRecord {
  /** Tick start minus slot start, µs (NaN for skipped slots). */
  readonly lateUs: Float64Array;
  /** Tick wall time, µs. */
  readonly tickUs: Float64Array;
  /** Slot start, ms on the loop thread's performance clock (for matching GC pauses). */
  readonly slotMs: Float64Array;
  readonly status: Uint8Array;
  readonly progress: Int32Array;
  /** Set `stop[0]` to 1 (Atomics) to end the loop after the current slot. */
  readonly stop: Int32Array;
}

export function createLoopRecord(slots: number): LoopRecord {
  const f64 = (): Float64Array => new Float64Array(new SharedArrayBuffer(8 * slots));
  return {
    lateUs: f64(),
    tickUs: f64(),
    slotMs: f64(),
    status: new Uint8Array(new SharedArrayBuffer(slots)),
    progress: new Int32Array(new SharedArrayBuffer(4)),
    stop: new Int32Array(new SharedArrayBuffer(4)),
  };
}

/**
 * Runs `tick` at every slot of the schedule, recording slot k into `record` at k modulo its size (sized for
 * options.slots, every slot is kept), until the last slot or `record.stop`.
 */
export function runRealtimeLoop(
  tick: (slot: number) => void,
  options: RealtimeLoopOptions,
  record: LoopRecord,
  prepare?: (slot: number) => void,
  after?: (slot: number) => void,
): void {
  const { periodMs, slots } = options;
  const spinMs = options.spinMs ?? periodMs;
  const prepareMs = prepare !== undefined ? (options.prepareMs ?? 0) : 0;
  const { lateUs, tickUs, slotMs, status, progress, stop } = record;
  const size = status.length;
  const start = performance.now() + (options.startDelayMs ?? 5);
  let slot = 0;
  while (slot < slots && Atomics.load(stop, 0) === 0) {
    const target = start + slot * periodMs;
    if (prepareMs > 0) {
      waitUntil(target - prepareMs, spinMs);
      prepare!(slot);
    }
    waitUntil(target, spinMs);
    const begin = performance.now();
    tick(slot);
    const end = performance.now();
    if (after !== undefined) after(slot);
    const i = slot % size;
    slotMs[i] = target;
    lateUs[i] = (begin - target) * 1000;
    tickUs[i] = (end - begin) * 1000;
    status[i] = end > target + periodMs ? SLOT.missed : SLOT.ok;
    let next = slot + 1;
    while (next < slots && start + (next + 1) * periodMs <= end) {
      const j = next % size;
      slotMs[j] = start + next * periodMs;
      lateUs[j] = NaN;
      tickUs[j] = NaN;
      status[j] = SLOT.skipped;
      next++;
    }
    slot = next;
    // Saturates rather than wrapping: a loop that runs for months still reports a sane count.
    Atomics.store(progress, 0, Math.min(slot, 0x7fffffff));
  }
}

/** A pause of the loop thread's isolate (from a PerformanceObserver on "gc"), ms on its performance clock. */
export interface Pause {
  start: number;
  duration: number;
}

export interface LoopSummary {
  slots: number;
  deadline_misses: number;
  deadline_miss_ratio: number;
  /** Misses whose tick started so late that the lateness was most of the overrun. */
  misses_late_start: number;
  /** Misses whose tick itself ran longer than it started late. */
  misses_slow_tick: number;
  /** Slots never ticked: the loop was late by more than a whole period. */
  misses_skipped: number;
  /** Misses (any kind) whose slot overlapped a GC pause of the loop thread. */
  misses_during_gc: number;
  gc_pauses: number;
  gc_ms_max: number;
  start_late_us_p99: number;
  start_late_us_max: number;
  wall_tick_us_p50: number;
  wall_tick_us_p99: number;
}

/**
 * Nearest-rank percentile (no interpolation), unlike core/quantile's interpolated one: a latency report
 * should quote a tick that actually happened, and an empty record reads NaN.
 */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

export function summarizeLoop(record: LoopRecord, periodMs: number, gc: readonly Pause[] = []): LoopSummary {
  const slots = record.status.length;
  let late = 0;
  let slow = 0;
  let skipped = 0;
  let duringGc = 0;
  const lateTicked: number[] = [];
  const tickTicked: number[] = [];
  for (let k = 0; k < slots; k++) {
    const s = record.status[k];
    if (s !== SLOT.skipped) {
      lateTicked.push(record.lateUs[k]);
      tickTicked.push(record.tickUs[k]);
    }
    if (s === SLOT.ok) continue;
    if (s === SLOT.skipped) skipped++;
    else if (record.lateUs[k] > record.tickUs[k]) late++;
    else slow++;
    const a = record.slotMs[k];
    const b = a + periodMs;
    if (gc.some((p) => p.start < b && p.start + p.duration > a)) duringGc++;
  }
  const lateSorted = Float64Array.from(lateTicked).sort();
  const tickSorted = Float64Array.from(tickTicked).sort();
  const misses = late + slow + skipped;
  return {
    slots,
    deadline_misses: misses,
    deadline_miss_ratio: slots > 0 ? misses / slots : 0,
    misses_late_start: late,
    misses_slow_tick: slow,
    misses_skipped: skipped,
    misses_during_gc: duringGc,
    gc_pauses: gc.length,
    gc_ms_max: round1(gc.reduce((m, p) => Math.max(m, p.duration), 0)),
    start_late_us_p99: round1(percentile(lateSorted, 0.99)),
    start_late_us_max: round1(lateSorted.length > 0 ? lateSorted[lateSorted.length - 1] : NaN),
    wall_tick_us_p50: round1(percentile(tickSorted, 0.5)),
    wall_tick_us_p99: round1(percentile(tickSorted, 0.99)),
  };
}
