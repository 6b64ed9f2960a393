import { describe, expect, it, vi } from "vitest";
import { Command } from "commander";
import { registerBenchLoop } from "../../../src/cli/bench/loop.js";

describe("tether bench loop --json (tiny budget)", () => {
  it("prints one JSON object last with the latency and deadline fields", async () => {
    const program = new Command("tether").exitOverride();
    registerBenchLoop(program.command("bench"));
    const lines: string[] = [];
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await program.parseAsync([
        "node",
        "tether",
        "bench",
        "loop",
        "--json",
        "--ticks",
        "300",
        "--seconds",
        "0.1",
      ]);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    const last = JSON.parse(lines.join("").trim().split("\n").pop() as string);
    expect(last.slots).toBe(50);
    expect(last.tick_us_p50).toBeGreaterThan(0);
    expect(last.tick_us_p99).toBeGreaterThanOrEqual(last.tick_us_p50);
    expect(last.deadline_miss_ratio).toBeGreaterThanOrEqual(0);
    expect(last.deadline_miss_ratio).toBeLessThanOrEqual(1);
    expect(last.sources.policy).toBeGreaterThan(0);
    expect(last.thread).toBe("worker");
    expect(last.misses_late_start + last.misses_slow_tick + last.misses_skipped).toBe(last.deadline_misses);
  });
});
