/** `tether sim run`: a behavior controller in MujocoEnv; per-episode returns, mean and normalized score. */
import type { Command } from "commander";
import { TetherError } from "../../core/errors.js";
import { parseFloatOption, parseIntOption, printJsonLine } from "../run.js";

export function registerSim(program: Command): void {
  const sim = program.command("sim").description("Run robots in MuJoCo simulation");
  sim
    .command("run")
    .description(
      "Run a behavior controller (random|medium|expert) and print episode returns and normalized score",
    )
    .requiredOption("--robot <name>", "robot name under robots/ or a folder holding robot.yaml")
    .option("--level <level>", "random | medium | expert", "expert")
    .option("--quality <q>", "behavior quality in [0, 1] instead of --level", parseFloatOption("--quality"))
    .option("--episodes <n>", "episodes", parseIntOption("--episodes"), 10)
    .option("--seed <s>", "seed of the episode seeds", parseIntOption("--seed"), 0)
    .option(
      "--workers <n>",
      "worker threads (0 = this thread; default: 2 for 20+ episodes)",
      parseIntOption("--workers"),
    )
    .option("--json", "print one JSON object as the last stdout line")
    .action(
      async (opts: {
        robot: string;
        level: string;
        quality?: number;
        episodes: number;
        seed: number;
        workers?: number;
        json?: boolean;
      }) => {
        if (!["random", "medium", "expert"].includes(opts.level))
          throw new TetherError("CLI", `--level expects random, medium or expert, got "${opts.level}"`);
        if (opts.episodes < 1)
          throw new TetherError("CLI", `--episodes expects at least 1, got ${opts.episodes}`);
        const { loadRobot } = await import("../../robot/load.js");
        const { collectEpisodes } = await import("../../sim/vector-env.js");
        const { compileTask } = await import("../../robot/task-functions.js");
        const robot = loadRobot(opts.robot);
        const task = compileTask(robot.spec);
        const level = opts.level as "random" | "medium" | "expert";
        const behavior = opts.quality === undefined ? level : { quality: opts.quality };
        const episodes = await collectEpisodes({
          robot,
          behavior,
          episodes: opts.episodes,
          seed: opts.seed,
          workers: opts.workers ?? (opts.episodes >= 20 ? 2 : 0),
          onEpisode: (e) => {
            if (opts.json) return;
            const score = e.normalizedScore === undefined ? "" : `  score ${e.normalizedScore.toFixed(1)}`;
            const end = e.termination ? `  terminated: ${e.termination}` : "";
            process.stdout.write(
              `episode ${String(e.index).padStart(3)}  return ${e.returns.toFixed(3).padStart(10)}  steps ${e.length}${score}${end}\n`,
            );
          },
        });
        const returns = episodes.map((e) => e.returns);
        const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
        const std = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / returns.length);
        const score = task.normalizedScore(mean);
        const summary = {
          robot: robot.spec.name,
          level: opts.quality === undefined ? level : `quality ${opts.quality}`,
          episodes: episodes.length,
          seed: opts.seed,
          returns,
          mean_return: mean,
          std_return: std,
          normalized_score: score ?? null,
          mean_length: episodes.reduce((s, e) => s + e.length, 0) / episodes.length,
          terminated: episodes.filter((e) => e.termination !== undefined).length,
        };
        if (opts.json) return printJsonLine(summary);
        process.stdout.write(
          `${robot.spec.name} ${summary.level}: mean return ${mean.toFixed(3)} ± ${std.toFixed(3)} over ${episodes.length} episodes, ` +
            (score === undefined
              ? "normalized score n/a (run `tether robot calibrate`)\n"
              : `normalized score ${score.toFixed(1)}\n`),
        );
      },
    );
}
