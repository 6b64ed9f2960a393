import { describe, expect, it } from "vitest";
import { registerBenchLoop } from "../../../src/cli/bench/loop.js";
import { benchJson } from "./bench-json.js";

describe("tether bench loop --json (tiny budget)", () => {
  it("prints one JSON object last with the latency and deadline fields", async () => {
    const last = await benchJson(registerBenchLoop, ["loop", "--json", "--ticks", "300", "--seconds", "0.1"]);
    expect(last.slots).toBe(50);
    expect(last.tick_us_p50).toBeGreaterThan(0);
    expect(last.tick_us_p99).toBeGreaterThanOrEqual(last.tick_us_p50);
    expect(last.deadline_miss_ratio).toBeGreaterThanOrEqual(0);
    expect(last.deadline_miss_ratio).toBeLessThanOrEqual(1);
    expect(last.sources.policy).toBeGreaterThan(0);
    expect(last.thread).toBe("worker");
    expect(last.misses_late_start + last.misses_slow_tick + last.misses_skipped).toBe(last.deadline_misses);
    expect(last.path).toBe("safety_core");
    // The policy node itself, on its worker loop, from its first tick on.
    const node = last.policy_node;
    expect(node.path).toBe("policy_node");
    expect(node.rate_hz).toBe(500);
    expect(node.slots).toBeGreaterThan(0);
    expect(node.tick_us_p99).toBeGreaterThan(0);
    expect(node.deadline_misses).toBeLessThanOrEqual(node.slots);
    expect(node.misses_late_start + node.misses_slow_tick + node.misses_skipped).toBe(node.deadline_misses);
    expect(Number.isFinite(node.bytes_per_tick)).toBe(true);
    expect(node.heap_ticks).toBe(100_000);
    expect(node.alloc_bytes_per_tick).toBeGreaterThanOrEqual(0);
    expect(node.tick_us_p50).toBeGreaterThan(0);
    expect(node.tick_us_p50).toBeLessThanOrEqual(node.tick_us_p99);
    // The tick's own work back to back (policy in place): CPU time at 1 µs resolution, and the forward pass.
    expect(node.cpu_ticks).toBe(300);
    expect(node.tick_cpu_us_p99).toBeGreaterThanOrEqual(node.tick_cpu_us_p50);
    expect(node.policy_us_p50).toBeGreaterThan(0);
    expect(node.policy_spin_ms).toBe(0);
    expect(node.sources.policy + (node.sources.fallback ?? 0) + (node.sources.hold ?? 0)).toBeGreaterThan(0);
  });
});
