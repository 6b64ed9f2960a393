import { describe, expect, it } from "vitest";
import { staleState, type StampedSample } from "../../../src/safety/monitors/stale-state.js";
import { ev, newScheduler, operatorContract } from "./contract.js";

describe("staleState", () => {
  operatorContract(
    (scheduler) => staleState({ maxAgeMs: 40, scheduler }),
    { stamp: 0 },
    {
      // silent from the start: reported every 40 ms
      marble: "40ms a 39ms b",
      values: {
        a: ev({ key: "silence", severity: "error", stamp: 40 }),
        b: ev({ key: "silence", stamp: 80 }),
      },
    },
  );

  it("reports silence maxAge after the last state, and again while silent", () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      // states at 0 and 10 ms, then nothing
      const src = hot<StampedSample>("a 9ms b", { a: { stamp: 0 }, b: { stamp: 10 } });
      expectObservable(src.pipe(staleState({ maxAgeMs: 20, scheduler: ts })), "^ 59ms !").toBe(
        "30ms s 19ms t",
        {
          s: ev({ key: "silence", observed: 20, stamp: 30 }),
          t: ev({ key: "silence", observed: 40, stamp: 50 }),
        },
      );
    });
  });

  it("reports a state older than maxAge and a stamp that does not advance (frozen sensor) at once", () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const src = hot<StampedSample>("a 4ms b 4ms c", { a: { stamp: 0 }, b: { stamp: 5 }, c: { stamp: 5 } });
      const late = hot<StampedSample>("5ms d", { d: { stamp: -30 } });
      expectObservable(src.pipe(staleState({ maxAgeMs: 20, scheduler: ts })), "^ 12ms !").toBe("10ms f", {
        f: ev({ key: "frozen", observed: 5, limit: 5, stamp: 10 }),
      });
      expectObservable(late.pipe(staleState({ maxAgeMs: 20, scheduler: ts })), "^ 12ms !").toBe("5ms g", {
        g: ev({ key: "age", observed: 35, limit: 20 }),
      });
    });
  });

  it("tolerates maxRepeats repeated stamps (control/state jitter), then reports frozen", () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const src = hot<StampedSample>("a-b-c-d-e", {
        a: { stamp: 0 },
        b: { stamp: 0 },
        c: { stamp: 2 },
        d: { stamp: 2 },
        e: { stamp: 2 },
      });
      expectObservable(src.pipe(staleState({ maxAgeMs: 20, maxRepeats: 1, scheduler: ts })), "^ 9ms !").toBe(
        "8ms f",
        {
          f: ev({ key: "frozen", stamp: 8 }),
        },
      );
    });
  });

  it("escalates to fatal once the state has been stale longer than fatalAfterMs", () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const src = hot<StampedSample>("a 9ms b", { a: { stamp: 0 }, b: { stamp: 10 } });
      const op = staleState({ maxAgeMs: 20, fatalAfterMs: 30, scheduler: ts });
      expectObservable(src.pipe(op), "^ 59ms !").toBe("30ms s 19ms t", {
        s: ev({ key: "silence", severity: "error", observed: 20 }),
        t: ev({ key: "silence", severity: "fatal", observed: 40 }),
      });
    });
  });

  it("rejects a non-positive max age at creation", () => {
    expect(() => staleState({ maxAgeMs: 10, fatalAfterMs: 5 })).toThrow(/fatal_after_ms/);
    expect(() => staleState({ maxAgeMs: 10, maxRepeats: -1 })).toThrow(/max_repeats/);
    expect(() => staleState({ maxAgeMs: 0 })).toThrow(/stale_state: max_state_age_ms/);
  });
});
