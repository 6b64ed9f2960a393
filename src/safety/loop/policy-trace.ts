/**
 * Where a WorkerPolicy hand-over spends its time, for benchmarks: per request, the control thread stamps
 * the hand-over and the moment it saw the answer, the policy worker when it saw the request (woke up, or
 * stopped spinning) and when its answer was ready. Stamps are on the process's monotonic clock (hrtime),
 * the one clock both threads share (each thread's performance.now() has its own origin). Off unless a
 * trace is given: reading hrtime allocates, and the tick path must not.
 */

/** Float64 slots per request in the ring. */
export const TRACE_FIELDS = 4;
export const TRACE = { handed: 0, woke: 1, done: 2, seen: 3 } as const;

/** A ring of the last `size` requests' stamps (ms, monotonic), on shared memory. */
export type PolicyTrace = Float64Array;

export function createPolicyTrace(size: number): PolicyTrace {
  return new Float64Array(new SharedArrayBuffer(8 * TRACE_FIELDS * size));
}

/** Monotonic ms, the same clock in every thread of the process. */
export function traceNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Stamps `field` of request `seq` (a no-op without a trace). */
export function stamp(trace: PolicyTrace | undefined, seq: number, field: number): void {
  if (trace === undefined) return;
  const size = trace.length / TRACE_FIELDS;
  // `>>> 0`: the request counter is an Int32 that wraps negative.
  trace[((seq >>> 0) % size) * TRACE_FIELDS + field] = traceNow();
}

export interface PolicyTraceSummary {
  /** Requests with all four stamps, handed over at or after `sinceMs`. */
  requests: number;
  /** Hand-over to the worker seeing it (its wake-up when it slept). */
  wake_us_p50: number;
  wake_us_p99: number;
  /** The worker's policy call. */
  compute_us_p50: number;
  compute_us_p99: number;
  /** Answer ready to the control thread seeing it. */
  seen_us_p50: number;
  seen_us_p99: number;
  /** Hand-over to answer seen: what `begin` + `act` cost the tick at least. */
  handover_us_p50: number;
  handover_us_p99: number;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

function pct(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  return round1(s[Math.min(s.length - 1, Math.floor(q * s.length))]);
}

/** Percentiles over the complete, ordered entries of the ring (a request abandoned at its timeout has none). */
export function summarizePolicyTrace(trace: PolicyTrace, sinceMs = -Infinity): PolicyTraceSummary {
  const wake: number[] = [];
  const compute: number[] = [];
  const seen: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < trace.length; i += TRACE_FIELDS) {
    const h = trace[i + TRACE.handed];
    const w = trace[i + TRACE.woke];
    const d = trace[i + TRACE.done];
    const s = trace[i + TRACE.seen];
    if (!(h > 0 && h >= sinceMs && w >= h && d >= w && s >= d)) continue;
    wake.push((w - h) * 1000);
    compute.push((d - w) * 1000);
    seen.push((s - d) * 1000);
    total.push((s - h) * 1000);
  }
  return {
    requests: total.length,
    wake_us_p50: pct(wake, 0.5),
    wake_us_p99: pct(wake, 0.99),
    compute_us_p50: pct(compute, 0.5),
    compute_us_p99: pct(compute, 0.99),
    seen_us_p50: pct(seen, 0.5),
    seen_us_p99: pct(seen, 0.99),
    handover_us_p50: pct(total, 0.5),
    handover_us_p99: pct(total, 0.99),
  };
}
