/** `tether robot list|show|calibrate`: the robots under robots/ and their reference returns. */
import type { Command } from "commander";
import { parseIntOption, printJsonLine } from "../run.js";

export function registerRobot(program: Command): void {
  const robot = program.command("robot").description("List, inspect and calibrate the robots under robots/");

  robot
    .command("list")
    .description("List robots (name, joints, actuators, calibration)")
    .option("--json", "print one JSON object")
    .action(async (opts: { json?: boolean }) => {
      const { listRobots, loadRobot } = await import("../../robot/load.js");
      const rows = listRobots().map((name) => {
        const { spec } = loadRobot(name);
        return {
          name,
          joints: spec.joints.length,
          actuators: spec.actuators.length,
          rate_hz: spec.control.rate_hz,
          calibrated: spec.reference_returns !== undefined,
          description: spec.description,
        };
      });
      if (opts.json) return printJsonLine({ robots: rows });
      for (const r of rows)
        process.stdout.write(
          `${r.name.padEnd(10)} ${r.joints} joints, ${r.actuators} actuators, ${r.rate_hz} Hz${r.calibrated ? "" : " (not calibrated)"}  ${r.description}\n`,
        );
    });

  robot
    .command("show")
    .description("Show a robot's joints, actuators, observation/action layout, topics and specs")
    .argument("<name>", "robot name under robots/ or a folder holding robot.yaml")
    .option("--json", "print one JSON object")
    .action(async (name: string, opts: { json?: boolean }) => {
      const { loadRobot } = await import("../../robot/load.js");
      const { describeRobot, formatRobot } = await import("../../robot/describe.js");
      const info = describeRobot(loadRobot(name));
      if (opts.json) return printJsonLine(info);
      process.stdout.write(formatRobot(info));
    });

  robot
    .command("calibrate")
    .description(
      "Measure random and expert mean returns in simulation and write reference_returns into robot.yaml",
    )
    .argument("<name>", "robot name under robots/ or a folder holding robot.yaml")
    .option("--episodes <n>", "episodes per level", parseIntOption("--episodes"), 100)
    .option("--seed <s>", "seed of the episode seeds", parseIntOption("--seed"), 12345)
    .option("--workers <n>", "worker threads (0 = this thread)", parseIntOption("--workers"))
    .option("--dry-run", "measure and print, do not write robot.yaml")
    .option("--json", "print one JSON object")
    .action(
      async (
        name: string,
        opts: { episodes: number; seed: number; workers?: number; dryRun?: boolean; json?: boolean },
      ) => {
        const { loadRobot } = await import("../../robot/load.js");
        const { writeReferenceReturns } = await import("../../robot/calibrate.js");
        const { collectEpisodes } = await import("../../sim/vector-env.js");
        const { startProgress } = await import("../progress.js");
        const robot = loadRobot(name);
        const measure = async (level: "random" | "expert"): Promise<number> => {
          const progress = startProgress(`calibrate ${robot.spec.name} ${level}`, opts.episodes);
          const eps = await collectEpisodes({
            robot,
            behavior: level,
            episodes: opts.episodes,
            seed: opts.seed,
            workers: opts.workers ?? (opts.episodes >= 20 ? 2 : 0),
            onEpisode: (_e, done) => progress.update(done),
          });
          progress.stop();
          return eps.reduce((s, e) => s + e.returns, 0) / eps.length;
        };
        const random = await measure("random");
        const expert = await measure("expert");
        if (!opts.dryRun) writeReferenceReturns(robot.specFile, { random, expert });
        const result = {
          robot: robot.spec.name,
          episodes: opts.episodes,
          seed: opts.seed,
          random,
          expert,
          written: !opts.dryRun,
          file: robot.specFile,
        };
        if (opts.json) return printJsonLine(result);
        process.stdout.write(
          `${robot.spec.name}: random ${random.toFixed(3)}, expert ${expert.toFixed(3)} over ${opts.episodes} episodes` +
            (opts.dryRun ? " (dry run, not written)\n" : `\nwrote reference_returns to ${robot.specFile}\n`),
        );
      },
    );
}
