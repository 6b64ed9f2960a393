/** Shared marble checks every monitor operator must pass: empty, never, error and unsubscribe. */
import { expect, it } from "vitest";
import type { OperatorFunction, SchedulerLike } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import type { SafetyEvent } from "../../../src/safety/events.js";

export function newScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

export function ev(partial: Partial<SafetyEvent>): SafetyEvent {
  return expect.objectContaining(partial) as unknown as SafetyEvent;
}

export function operatorContract<T>(
  make: (scheduler: SchedulerLike) => OperatorFunction<T, SafetyEvent>,
  sample: T,
  /** What the operator emits on a source that never emits, over the first 100 ms (timer monitors report). */
  never: { marble: string; values?: Record<string, SafetyEvent> } = { marble: "-" },
): void {
  it("completes without events on an empty input", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<T>("|").pipe(make(newSchedulerProxy()))).toBe("|");
    });
  });

  it("on a never-emitting input", () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<T>("-").pipe(make(ts)), "^ 99ms !").toBe(never.marble, never.values);
    });
  });

  it("turns an input error into one fatal event and completes (never throws)", () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<T>("--#", undefined, new Error("boom")).pipe(make(ts))).toBe("--(a|)", {
        a: ev({ key: "input", severity: "fatal", message: "input stream failed: boom" }),
      });
    });
  });

  it("unsubscribes from its input and stops its timers on unsubscribe", () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const src = hot<T>("-----a-----", { a: sample });
      expectObservable(src.pipe(make(ts)), "^--!").toBe("---");
      expectSubscriptions(src.subscriptions).toBe("^--!");
    });
  });
}

// For the empty case any scheduler works; the operator completes synchronously.
function newSchedulerProxy(): SchedulerLike {
  return newScheduler();
}
