import { describe, expect, it } from "vitest";
import { performance } from "node:perf_hooks";
import {
  SLOT,
  createLoopRecord,
  runRealtimeLoop,
  summarizeLoop,
} from "../../../src/safety/loop/realtime-loop.js";
import { RealtimeLoopError, runRealtime } from "../../../src/safety/loop/realtime-runner.js";
import { PolledWallClock } from "../../../src/safety/loop/wall-clock.js";
import { createRealtimeTick } from "./fixtures/counting-tick.js";

const fixture = new URL("./fixtures/counting-tick.ts", import.meta.url).href;

describe("runRealtimeLoop", () => {
  it("marks an overrunning slot missed and skips the slots whose end passed meanwhile", () => {
    const periodMs = 2;
    const record = createLoopRecord(30);
    const rt = createRealtimeTick({ slowSlot: 5, slowMs: 3 * periodMs });
    runRealtimeLoop((slot) => rt.tick(slot), { periodMs, slots: 30 }, record);
    const s = rt.slowedAt() as number;
    expect(s).toBeGreaterThanOrEqual(5);
    expect(record.status[s]).toBe(SLOT.missed);
    // The slow tick ended >= 3 periods after its slot began, after the ends of the next two slots.
    expect(record.status[s + 1]).toBe(SLOT.skipped);
    expect(record.status[s + 2]).toBe(SLOT.skipped);
    expect(record.tickUs[s]).toBeGreaterThanOrEqual(3 * periodMs * 1000);
    const { ticks, slots } = rt.finish();
    const skipped = record.status.filter((x) => x === SLOT.skipped).length;
    expect(ticks).toBe(30 - skipped);
    expect(slots).not.toContain(s + 1);
    expect(Atomics.load(record.progress, 0)).toBe(30);
    // The schedule is drift-free: slot k is due k periods after slot 0 whatever happened before.
    for (let k = 1; k < 30; k++) expect(record.slotMs[k] - record.slotMs[0]).toBeCloseTo(k * periodMs, 9);
  });

  it("calls prepare prepareMs before each slot it ticks, then the tick, then after outside the tick's time", () => {
    const periodMs = 2;
    const events: Array<[string, number, number]> = [];
    const now = (): number => performance.now();
    const record = createLoopRecord(20);
    runRealtimeLoop(
      (slot) => events.push(["tick", slot, now()]),
      { periodMs, slots: 20, prepareMs: 0.5, spinMs: 0.2 },
      record,
      (slot) => events.push(["prepare", slot, now()]),
      (slot) => {
        events.push(["after", slot, now()]);
        if (slot === 7) for (const t = now(); now() < t + 1;); // a slow hand-off after the tick
      },
    );
    const ticked = events.filter((e) => e[0] === "tick").map((e) => e[1]);
    expect(ticked.length).toBe(20 - record.status.filter((x) => x === SLOT.skipped).length);
    for (const slot of ticked) {
      const i = events.findIndex((e) => e[0] === "tick" && e[1] === slot);
      // This slot's prepare right before its tick (not earlier than prepareMs ahead), its after right after.
      expect(events[i - 1].slice(0, 2)).toEqual(["prepare", slot]);
      expect(events[i + 1].slice(0, 2)).toEqual(["after", slot]);
      expect(events[i - 1][2]).toBeGreaterThanOrEqual(record.slotMs[slot] - 0.5);
      expect(events[i][2]).toBeGreaterThanOrEqual(record.slotMs[slot]);
      // The tick's recorded end (slot start + lateness + tick time) comes before `after` starts.
      const end = record.slotMs[slot] + (record.lateUs[slot] + record.tickUs[slot]) / 1000;
      expect(end).toBeLessThanOrEqual(events[i + 1][2] + 1e-6);
    }
    let called = 0;
    runRealtimeLoop(
      () => {},
      { periodMs, slots: 5 },
      createLoopRecord(5),
      () => called++,
    );
    expect(called).toBe(0);
  });
});

describe("summarizeLoop", () => {
  it("tells late starts from slow ticks and skipped slots, and counts misses that overlapped a GC pause", () => {
    const record = createLoopRecord(6);
    const rows: Array<[number, number, number]> = [
      // status, late µs, tick µs
      [SLOT.ok, 10, 100],
      [SLOT.missed, 1900, 150], // woke late
      [SLOT.missed, 50, 2500], // the tick itself overran
      [SLOT.skipped, NaN, NaN],
      [SLOT.ok, 30, 90],
      [SLOT.missed, 1500, 600],
    ];
    rows.forEach(([s, late, tick], k) => {
      record.status[k] = s;
      record.lateUs[k] = late;
      record.tickUs[k] = tick;
      record.slotMs[k] = 100 + 2 * k;
    });
    const gc = [{ start: 101, duration: 0.5 }]; // inside slot 0 (ok) and touching no miss
    const gcOnMiss = [{ start: 102.5, duration: 1 }]; // inside slot 1 (a miss)
    const s = summarizeLoop(record, 2, gc);
    expect(s.deadline_misses).toBe(4);
    expect(s.deadline_miss_ratio).toBeCloseTo(4 / 6);
    expect([s.misses_late_start, s.misses_slow_tick, s.misses_skipped]).toEqual([2, 1, 1]);
    expect(s.misses_during_gc).toBe(0);
    expect(summarizeLoop(record, 2, gcOnMiss).misses_during_gc).toBe(1);
    expect(s.start_late_us_max).toBe(1900);
    expect(s.gc_pauses).toBe(1);
  });
});

describe("runRealtime", () => {
  it("runs the tick module in a worker thread and hands back its result and the slot record", async () => {
    const seen: number[] = [];
    const run = await runRealtime<{ ticks: number }>({
      module: fixture,
      options: { slowSlot: 10, slowMs: 5 },
      loop: { periodMs: 1, slots: 60 },
      thread: "worker",
      onProgress: (done) => seen.push(done),
    });
    expect(run.thread).toBe("worker");
    expect(run.summary.slots).toBe(60);
    expect(run.summary.misses_skipped).toBeGreaterThanOrEqual(4);
    expect(run.result.ticks).toBe(60 - run.summary.misses_skipped);
    for (const d of seen) expect(d).toBeLessThanOrEqual(60);
  });

  it("runs the same module on the main thread with --thread main", async () => {
    const run = await runRealtime<{ ticks: number }>({
      module: fixture,
      options: {},
      loop: { periodMs: 1, slots: 20 },
      thread: "main",
    });
    expect(run.thread).toBe("main");
    expect(run.result.ticks).toBe(20 - run.summary.misses_skipped);
  });

  it("rejects with the worker's error when the tick cannot be built", async () => {
    const run = runRealtime({
      module: fixture,
      options: { failToBuild: true },
      loop: { periodMs: 1, slots: 5 },
      thread: "worker",
    });
    await expect(run).rejects.toBeInstanceOf(RealtimeLoopError);
    await expect(run).rejects.toThrow(/no controller for this robot/);
  });
});

describe("PolledWallClock", () => {
  it("reads the wall clock and fires timers only when polled", () => {
    const clock = new PolledWallClock();
    const t0 = clock.now();
    expect(Math.abs(t0 - (performance.timeOrigin + performance.now()))).toBeLessThan(1000);
    let fired = 0;
    clock.schedule(() => fired++, 1);
    const until = performance.now() + 3;
    while (performance.now() < until) {
      // let the timer come due
    }
    expect(fired).toBe(0);
    clock.poll();
    expect(fired).toBe(1);
    expect(clock.now()).toBeGreaterThan(t0);
  });
});
