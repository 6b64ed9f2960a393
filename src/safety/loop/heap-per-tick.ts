/**
 * Heap growth per tick: the heap after `ticks` calls minus the heap before, GC forced at both ends, divided
 * by `ticks`, after `warm` ticks that are not counted. It measures what the tick path keeps (buffers that grow, logs, leaks), not short-lived garbage,
 * which the closing GC collects; 0 means the path retains nothing per tick. The GC is reached without
 * starting node with --expose-gc: the flag is set at run time and `gc` taken from a fresh context.
 */
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
