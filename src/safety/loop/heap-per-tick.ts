/**
 * Heap growth per tick: the heap after `ticks` calls minus the heap before, GC forced at both ends, divided
 * by `ticks`, after `warm` ticks that are not counted. It measures what the tick path keeps (buffers that grow, logs, leaks), not short-lived garbage,
 * which the closing GC collects; 0 means the path retains nothing per tick. The GC is reached without
 * starting node with --expose-gc: the flag is set at run time and `gc` taken from a fresh context.
 */
import { PerformanceObserver, performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gcFn: (() => void) | undefined;

export function forceGc(): void {
  if (gcFn === undefined) {
    setFlagsFromString("--expose-gc");
    gcFn = runInNewContext("gc") as () => void;
  }
  // Twice: the first pass can leave objects that finalizers or weak callbacks free only on the next.
  gcFn();
  gcFn();
}

export function bytesPerTick(tick: (i: number) => void, ticks = 100_000, warm = 10_000): number {
  // Warm-up first: compiling and optimizing the tick allocates code and feedback once, which is not per tick.
  for (let i = 0; i < warm; i++) tick(i);
  forceGc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < ticks; i++) tick(i);
  forceGc();
  return (process.memoryUsage().heapUsed - before) / ticks;
}

/**
 * Bytes a tick allocates, short-lived garbage included (what bytesPerTick's closing GC hides): the heap's
 * growth over windows of `ticks` ticks in which no GC ran (told by a PerformanceObserver on "gc"), the
 * median over those windows. 0 means the tick never causes a collection of its own. NaN when a GC ran in
 * every window.
 */
export async function allocBytesPerTick(
  tick: (i: number) => void,
  ticks = 500,
  windows = 21,
  warm = 10_000,
): Promise<number> {
  const gcs: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  observer.observe({ entryTypes: ["gc"] });
  const spans: { start: number; end: number; bytes: number }[] = [];
  try {
    let i = 0;
    for (; i < warm; i++) tick(i);
    for (let w = 0; w < windows; w++) {
      const start = performance.now();
      const before = process.memoryUsage().heapUsed;
      for (let k = 0; k < ticks; k++) tick(i++);
      const bytes = process.memoryUsage().heapUsed - before;
      spans.push({ start, end: performance.now(), bytes });
    }
    // GC entries are delivered asynchronously.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    observer.disconnect();
  }
  const clean = spans
    .filter((s) => !gcs.some((g) => g.end >= s.start && g.start <= s.end))
    .map((s) => s.bytes / ticks)
    .sort((a, b) => a - b);
  return clean.length === 0 ? NaN : clean[Math.floor(clean.length / 2)];
}
