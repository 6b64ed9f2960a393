/**
 * CPU time of the calling thread (Linux: /proc/thread-self/schedstat, nanoseconds on a core and waiting in
 * the run queue). process.cpuUsage() sums every thread, which cannot tell two workers apart; on a shared
 * machine the run-queue time also says how much of the wall-clock was spent waiting for a core.
 * Undefined where the file does not exist.
 */
import { readFileSync } from "node:fs";

export interface ThreadCpu {
  /** ms on a core. */
  cpuMs: number;
  /** ms runnable but waiting for a core. */
  queuedMs: number;
}

export function threadCpu(): ThreadCpu | undefined {
  try {
    const [onCpu, queued] = readFileSync("/proc/thread-self/schedstat", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (!Number.isFinite(onCpu) || !Number.isFinite(queued)) return undefined;
    return { cpuMs: onCpu / 1e6, queuedMs: queued / 1e6 };
  } catch {
    return undefined;
  }
}

/** `after - before`, or undefined when either is. */
export function cpuSince(before: ThreadCpu | undefined, after: ThreadCpu | undefined): ThreadCpu | undefined {
  if (!before || !after) return undefined;
  return { cpuMs: after.cpuMs - before.cpuMs, queuedMs: after.queuedMs - before.queuedMs };
}
