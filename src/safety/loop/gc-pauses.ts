/**
 * Records this thread's garbage-collection pauses (a PerformanceObserver on "gc"), to tell deadline misses
 * caused by GC from the others. Entries arrive on the event loop, so `stop()` yields once before reading.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { setImmediate as yieldOnce } from "node:timers/promises";
import type { Pause } from "./realtime-loop.js";

export function watchGcPauses(): { stop(): Promise<Pause[]> } {
  const pauses: Pause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, duration: e.duration });
  });
  observer.observe({ entryTypes: ["gc"] });
  return {
    async stop() {
      await yieldOnce();
      await yieldOnce();
      observer.disconnect();
      return pauses;
    },
  };
}
