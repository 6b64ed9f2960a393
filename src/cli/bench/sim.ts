/** `tether bench sim`: raw mj_step vs MujocoEnv vs 1/2-worker collection, per robot. */
import type { Command } from "commander";
import { parseIntOption, printJsonLine } from "../run.js";

export function registerBenchSim(bench: Command): void {
  bench
    .command("sim")
    .description(
      "Simulation speed per robot: raw mj_step, MujocoEnv steps, vector env speedup (2 workers over 1)",
    )
    .option("--robots <names>", "comma-separated robots (default: all)")
    .option("--steps <n>", "physics steps per raw/env measurement", parseIntOption("--steps"), 200_000)
    .option("--episodes <n>", "episodes per collection measurement", parseIntOption("--episodes"), 24)
    .option("--repeats <n>", "repeats per figure (best is kept)", parseIntOption("--repeats"), 3)
    .option("--json", "end stdout with one JSON object")
    .action(
      async (opts: { robots?: string; steps: number; episodes: number; repeats: number; json?: boolean }) => {
        const { listRobots } = await import("../../robot/load.js");
        const { benchSim } = await import("../../sim/bench.js");
        const { loadavg, availableParallelism } = await import("node:os");
        const robots = opts.robots ? opts.robots.split(",").map((s) => s.trim()) : listRobots();
        const results: Record<string, unknown> = {};
        const loadBefore = loadavg()[0];
        for (const name of robots) {
          const r = await benchSim(name, {
            physicsSteps: opts.steps,
            episodes: opts.episodes,
            repeats: opts.repeats,
            onProgress: (stage) => process.stderr.write(`bench sim: ${stage}\n`),
          });
          results[name] = r;
          process.stdout.write(
            `${name.padEnd(10)} raw ${r.raw_steps_per_s} steps/s, env ${r.env_steps_per_s} steps/s (overhead ${(100 * r.env_overhead).toFixed(1)}%, by CPU time ${(100 * r.env_overhead_cpu).toFixed(1)}%), ` +
              `collect 1 worker ${r.vector_steps_per_s_1}, 2 workers ${r.vector_steps_per_s_2} (speedup ${r.vector_speedup})\n`,
          );
        }
        const summary = {
          benchmark: "sim",
          robots: results,
          cores: availableParallelism(),
          load_average_1m: [Number(loadBefore.toFixed(2)), Number(loadavg()[0].toFixed(2))],
          mujoco: "@mujoco/mujoco (official WASM bindings, single-threaded build)",
        };
        if (opts.json) printJsonLine(summary);
      },
    );
}
