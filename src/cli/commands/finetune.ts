import type { Command } from "commander";
import { parseFloatOption, parseIntOption, printJsonLine } from "../run.js";

interface FinetuneFlags {
  model: string;
  algo?: string;
  robot: string;
  dataset: string;
  envSteps: number;
  ratio: number;
  updatesPerStep: number;
  evalEvery: number;
  evalEpisodes: number;
  batchSize: number;
  explorationStd: number;
  seed: number;
  device?: string;
  threads?: number;
  out?: string;
  json?: boolean;
  monitors: boolean;
  bcDecay: boolean;
}

/** `tether finetune`: online fine-tuning of an offline policy in MujocoEnv, every action through the shield. */
export function registerFinetune(program: Command): void {
  program
    .command("finetune")
    .description(
      "Fine-tune an offline IQL/AWAC/Cal-QL/ReBRAC policy online in MujocoEnv behind the safety shield; each improvement is saved as models/<m>/versions/vN",
    )
    .requiredOption(
      "--model <m>",
      "policy package with its training checkpoint: a name under models/ or a folder",
    )
    .option(
      "--algo <name>",
      "algorithm to continue: iql | awac | calql | rebrac; must be the package's (default: the package's own)",
    )
    .requiredOption("--robot <name>", "robot folder name under robots/ (or a path)")
    .requiredOption(
      "--dataset <dir>",
      "offline dataset folder (or a name under logs/) mixed into every batch",
    )
    .requiredOption(
      "--env-steps <n>",
      "environment steps of online interaction",
      parseIntOption("--env-steps"),
    )
    .option(
      "--ratio <f>",
      "fraction of each batch drawn from the offline dataset",
      parseFloatOption("--ratio"),
      0.5,
    )
    .option(
      "--updates-per-step <f>",
      "learner updates per env step (fractions accumulate: 0.25 = one update every 4 steps)",
      parseFloatOption("--updates-per-step"),
      0.25,
    )
    .option("--eval-every <n>", "evaluate every N env steps", parseIntOption("--eval-every"), 5000)
    .option(
      "--eval-episodes <n>",
      "episodes per evaluation (>= 2 for a CI)",
      parseIntOption("--eval-episodes"),
      10,
    )
    .option("--batch-size <n>", "mini-batch size", parseIntOption("--batch-size"), 256)
    .option(
      "--exploration-std <f>",
      "Gaussian exploration noise on the policy action (normalized units), applied before the shield",
      parseFloatOption("--exploration-std"),
      0.1,
    )
    .option("--seed <n>", "random seed", parseIntOption("--seed"), 0)
    .option("--device <name>", "engine device: cpu | cuda (default: cuda when its provider loads, else cpu)")
    .option("--threads <n>", "engine threads (default: all cores)", parseIntOption("--threads"))
    .option(
      "--out <dir>",
      "folder for curve.jsonl, curve.svg, result.json (default models/<m>/finetune/<run>)",
    )
    .option(
      "--no-monitors",
      "shield only: skip the safety monitors and e-stop (sim experiments; every action still passes the shield)",
    )
    .option(
      "--no-bc-decay",
      "keep the offline BC weights online (ReBRAC; other algorithms have none): the offline-only control of bench finetune",
    )
    .option("--json", "end stdout with one JSON object summarizing the run")
    .action(async (flags: FinetuneFlags) => {
      const { setupEngine } = await import("../device-option.js");
      const { runFinetuneJob } = await import("../../nodes/finetune/finetune-job.js");
      const { startProgress } = await import("../progress.js");
      process.stderr.write(`finetune: ${await setupEngine(flags)}\n`);
      const progress = startProgress("finetune", flags.envSteps);
      let result;
      let lastScore = NaN;
      try {
        result = await runFinetuneJob({
          model: flags.model,
          algo: flags.algo,
          robot: flags.robot,
          dataset: flags.dataset,
          envSteps: flags.envSteps,
          ratio: flags.ratio,
          updatesPerStep: flags.updatesPerStep,
          evalEvery: flags.evalEvery,
          evalEpisodes: flags.evalEpisodes,
          batchSize: flags.batchSize,
          explorationStd: flags.explorationStd,
          seed: flags.seed,
          out: flags.out,
          monitors: flags.monitors,
          bcDecay: flags.bcDecay,
          onProgress: (step, updates) => {
            if (step % 50 === 0) progress.update(step, { updates, score: lastScore });
          },
          onEval: (p, saved) => {
            lastScore = p.score;
            process.stderr.write(
              `finetune: step ${p.env_step} score ${p.score.toFixed(1)} [${p.ci_low.toFixed(1)}, ${p.ci_high.toFixed(1)}]${saved ? ` -> saved ${saved}` : ""}\n`,
            );
          },
        });
      } finally {
        progress.stop();
      }
      if (flags.json) printJsonLine(result);
      else {
        process.stdout.write(
          `fine-tuned ${result.algo} for ${result.env_steps} env steps (${result.updates} updates, ${result.updates_per_second.toFixed(1)}/s): score ${result.baseline_score.toFixed(1)} -> best ${result.best_score.toFixed(1)} (gain ${result.gain.toFixed(1)})\n` +
            `shield interventions: ${result.filtered} of ${result.shield_counts.ticks} ticks; violations reaching the env: ${result.violations}\n` +
            (result.estop
              ? `e-stop at env step ${result.estop.env_step} (${result.estop.monitor}: ${result.estop.message}): the run ended there\n`
              : "") +
            `versions: ${result.versions.map((v) => v.version).join(", ") || "(none improved)"}; curve ${result.curve_file}${result.plot_file ? `, plot ${result.plot_file}` : ""}\n`,
        );
      }
    });
}
