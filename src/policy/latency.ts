/**
 * Per-call latency of batch-1 inference (what a control tick pays for the policy), measured with
 * process.hrtime.bigint around each call after a warm-up. Benchmarks use it; tests never assert on it.
 */
import type { PolicyRunner } from "./runner.js";

export interface LatencyStats {
  calls: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  mean_us: number;
}

export function measureActLatency(
  runner: PolicyRunner,
  observations: Float32Array[],
  calls = 20_000,
  warmup = 2_000,
): LatencyStats {
  const out = new Float32Array(runner.actDim);
  for (let i = 0; i < warmup; i++) runner.act(observations[i % observations.length], out);
  const samples = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const obs = observations[i % observations.length];
    const t0 = process.hrtime.bigint();
    runner.act(obs, out);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return latencyStats(samples);
}

export function latencyStats(samplesUs: Float64Array): LatencyStats {
  const sorted = Float64Array.from(samplesUs).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  let total = 0;
  for (const v of sorted) total += v;
  const round = (v: number): number => Number(v.toFixed(2));
  return {
    calls: sorted.length,
    p50_us: round(at(0.5)),
    p99_us: round(at(0.99)),
    max_us: round(sorted[sorted.length - 1]),
    mean_us: round(total / Math.max(1, sorted.length)),
  };
}
