import { describe, expect, it } from "vitest";
import type { SchedulerAction } from "rxjs";
import { ClockScheduler } from "../../../src/safety/loop/clock-scheduler.js";
import { SafetyCore } from "../../../src/safety/safety-core.js";
import { Shield } from "../../../src/safety/clamps/shield.js";
import { hardLimitsFromSpec } from "../../../src/safety/clamps/hard-limits.js";
import { SYNTHETIC_ARM } from "../../../src/safety/loop/synthetic-plant.js";
import { signalLayout } from "../../../src/robot/signals.js";

describe("ClockScheduler", () => {
  it("runs 20,000 ticks at 500 Hz through SafetyCore's monitor timers and closes without overflowing", () => {
    const spec = SYNTHETIC_ARM;
    const scheduler = new ClockScheduler(0);
    const core = new SafetyCore({
      spec,
      shield: new Shield({ limits: hardLimitsFromSpec(spec) }),
      policy: { act: (_o, _s, out) => out.fill(0.1) },
      scheduler,
      supportGap: { window: 50, warnAbove: 0.5, errorAbove: 1 },
      returnCollapse: { window: 5, baseline: 0, maxDrop: 10 },
    });
    const signals = new Float64Array(signalLayout(spec).size);
    let notPolicy = 0;
    for (let k = 0; k < 20_000; k++) {
      scheduler.advanceTo(2 * k);
      if (core.tick(2 * k, signals).source !== "policy") notPolicy++;
    }
    expect(notPolicy).toBe(0);
    expect(() => core.close()).not.toThrow();
    // After close no timer is left queued: advancing far ahead runs nothing.
    expect(scheduler.pendingActions).toBe(0);
  });

  it("fires a periodic action once per period, flat, for 100,000 periods, and stops on unsubscribe", () => {
    const scheduler = new ClockScheduler(0);
    const fired: number[] = [];
    const sub = scheduler.schedule(
      function (this: SchedulerAction<number>, n = 0) {
        fired.push(scheduler.now());
        this.schedule(n + 1, 2);
      },
      2,
      0,
    );
    scheduler.advanceTo(200_000);
    expect(fired.length).toBe(100_000);
    expect(fired[0]).toBe(2);
    expect(fired[99_999]).toBe(200_000);
    sub.unsubscribe();
    scheduler.advanceTo(400_000);
    expect(fired.length).toBe(100_000);
    expect(scheduler.pendingActions).toBe(0);
  });

  it("runs due actions in time order, equal times in scheduling order, and sets now() to each due time", () => {
    const scheduler = new ClockScheduler(10);
    const seen: string[] = [];
    const at = (name: string, delay: number): void => {
      scheduler.schedule(() => seen.push(`${name}@${scheduler.now()}`), delay);
    };
    at("c", 5);
    at("a", 1);
    at("b", 5);
    at("late", 50);
    scheduler.advanceTo(20);
    expect(seen).toEqual(["a@11", "c@15", "b@15"]);
    expect(scheduler.now()).toBe(20);
    scheduler.advanceBy(40);
    expect(seen.at(-1)).toBe("late@60");
  });

  it("passes state to the work, lets an action reschedule with a new delay, and ignores moving backwards", () => {
    const scheduler = new ClockScheduler(0);
    const seen: Array<[number, number]> = [];
    scheduler.schedule(
      function (this: SchedulerAction<number>, n = 0) {
        seen.push([scheduler.now(), n]);
        if (n < 3) this.schedule(n + 1, 10 * (n + 1));
      },
      0,
      0,
    );
    scheduler.advanceTo(100);
    expect(seen).toEqual([
      [0, 0],
      [10, 1],
      [30, 2],
      [60, 3],
    ]);
    scheduler.advanceTo(50);
    expect(scheduler.now()).toBe(100);
  });

  it("an action scheduled from inside a due action for a time already due runs in the same advance", () => {
    const scheduler = new ClockScheduler(0);
    const seen: number[] = [];
    scheduler.schedule(() => {
      seen.push(scheduler.now());
      scheduler.schedule(() => seen.push(scheduler.now()), 3);
    }, 5);
    scheduler.advanceTo(10);
    expect(seen).toEqual([5, 8]);
  });

  it("cancels an action whose work throws and hands the error to the caller of advanceTo", () => {
    const scheduler = new ClockScheduler(0);
    let runs = 0;
    scheduler.schedule(function (this: SchedulerAction<undefined>) {
      runs++;
      this.schedule(undefined, 1);
      throw new Error("boom");
    }, 1);
    expect(() => scheduler.advanceTo(5)).toThrow("boom");
    expect(scheduler.pendingActions).toBe(0);
    scheduler.advanceTo(10);
    expect(runs).toBe(1);
  });
});
