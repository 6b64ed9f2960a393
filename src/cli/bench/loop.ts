/**
 * `tether bench loop [--json]`: per-tick latency of policy inference (2×256, batch 1) + support model +
 * clamps + monitors (`tick_us_p50`, `tick_us_p99`, target p99 <= 200 µs) and `deadline_miss_ratio` of a
 * drift-free 500 Hz wall-clock loop (target <= 0.001), run in a dedicated worker thread (`--thread worker`,
 * default) or on the main thread (`--thread main`, to compare). See src/safety/loop/loop-bench.ts.
 * Then (unless --no-policy-node) the same figures for the policy node itself on its worker loop, under
 * `policy_node` (`path: "policy_node"`; the first path is `path: "safety_core"`): src/nodes/policy/node-loop-bench.ts.
 */
import { Option, type Command } from "commander";
import { parseFloatOption, parseIntOption, printJsonLine } from "../run.js";

interface BenchLoopOptions {
  json?: boolean;
  ticks: number;
  seconds: number;
  seed: number;
  thread: "main" | "worker";
  spinMs?: number;
  policyNode: boolean;
  policySpinMs?: number;
  policyPrewakeMs?: number;
  tracePolicy?: boolean;
}

export function registerBenchLoop(bench: Command): void {
  bench
    .command("loop")
    .description("Control tick behind the shield: latency p50/p99 and 500 Hz wall-clock deadline misses")
    .option("--json", "end stdout with one JSON object")
    .option(
      "--ticks <n>",
      "back-to-back ticks for the latency percentiles",
      parseIntOption("--ticks"),
      20_000,
    )
    .option("--seconds <s>", "length of the 500 Hz wall-clock run", parseFloatOption("--seconds"), 20)
    .option("--seed <n>", "seed of the random policy weights", parseIntOption("--seed"), 0)
    .addOption(
      new Option("--thread <thread>", "where the wall-clock loop runs")
        .choices(["main", "worker"])
        .default("worker"),
    )
    .option(
      "--spin-ms <ms>",
      "busy-wait before each slot (default: the whole period; the loop thread never sleeps)",
      parseFloatOption("--spin-ms"),
    )
    .option("--no-policy-node", "skip the policy node's own loop (path policy_node)")
    .option(
      "--policy-spin-ms <ms>",
      "policy_node: the policy worker's busy-wait before each request (the node's policy_spin_ms; default 0)",
      parseFloatOption("--policy-spin-ms"),
    )
    .option(
      "--policy-prewake-ms <ms>",
      "policy_node: the loop wakes the policy worker this long before each slot (the node's policy_prewake_ms)",
      parseFloatOption("--policy-prewake-ms"),
    )
    .option(
      "--trace-policy",
      "policy_node: stamp each policy hand-over and report where its time went (handover: wake, compute, seen)",
    )
    .action(async (opts: BenchLoopOptions) => {
      const { runLoopBench } = await import("../../safety/loop/loop-bench.js");
      const { startProgress } = await import("../progress.js");
      const { loadavg } = await import("node:os");
      const slots = Math.round(opts.seconds * 500);
      const progress = startProgress("bench loop (wall clock)", slots);
      const load = loadavg()[0];
      const result = await runLoopBench({
        ticks: opts.ticks,
        seconds: opts.seconds,
        seed: opts.seed,
        thread: opts.thread,
        spinMs: opts.spinMs,
        onProgress: (d) => progress.update(d),
      });
      progress.stop();
      let policyNode: unknown = undefined;
      if (opts.policyNode) {
        const { runNodeLoopBench } = await import("../../nodes/policy/node-loop-bench.js");
        process.stderr.write(`bench loop: policy node on its worker loop, ${opts.seconds} s\n`);
        policyNode = await runNodeLoopBench({
          seconds: opts.seconds,
          seed: opts.seed,
          spinMs: opts.spinMs,
          cpuTicks: opts.ticks,
          policySpinMs: opts.policySpinMs,
          policyPrewakeMs: opts.policyPrewakeMs,
          trace: opts.tracePolicy,
        });
      }
      const out = {
        path: "safety_core",
        ...result,
        policy_node: policyNode,
        load_avg_1m_before: Math.round(load * 100) / 100,
        load_avg_1m_after: Math.round(loadavg()[0] * 100) / 100,
      };
      if (opts.json) printJsonLine(out);
      else
        for (const [k, v] of Object.entries(out))
          process.stdout.write(`${k}: ${typeof v === "object" ? JSON.stringify(v) : v}\n`);
    });
}
