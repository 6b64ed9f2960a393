import type { Command } from "commander";
import { parseFloatOption, parseHiddenOption, parseIntOption, printJsonLine } from "../run.js";

interface TrainFlags {
  algo: string;
  dataset: string;
  robot: string;
  steps: number;
  out: string;
  seed: number;
  evalEvery: number;
  evalEpisodes: number;
  resume?: boolean;
  batchSize?: number;
  hidden?: number[];
  config?: string;
  workers?: number;
  device?: string;
  threads?: number;
  checkpointEvery?: number;
  targetReturn?: number;
  json?: boolean;
}

/** `tether train`: offline RL on a dataset, writing checkpoints, metrics.jsonl and a policy package. */
export function registerTrain(program: Command): void {
  program
    .command("train")
    .description(
      "Train a policy offline (IQL, AWAC, TD3+BC, BC, CQL, Cal-QL, ReBRAC, Decision Transformer) and write a policy package to --out",
    )
    .requiredOption("--algo <name>", "iql | awac | td3bc | bc | cql | calql | rebrac | dt")
    .requiredOption("--dataset <dir>", "dataset folder (or a name under logs/)")
    .requiredOption("--robot <name>", "robot folder name under robots/ (or a path)")
    .requiredOption("--steps <n>", "number of gradient updates", parseIntOption("--steps"))
    .requiredOption("--out <dir>", "output folder, e.g. models/<name>")
    .option("--seed <n>", "random seed", parseIntOption("--seed"), 0)
    .option("--device <name>", "engine device: cpu | cuda (default: cuda when its provider loads, else cpu)")
    .option("--threads <n>", "engine threads (default: all cores)", parseIntOption("--threads"))
    .option(
      "--eval-every <n>",
      "evaluate in MujocoEnv every N updates (0: never)",
      parseIntOption("--eval-every"),
      5000,
    )
    .option("--eval-episodes <n>", "episodes per evaluation", parseIntOption("--eval-episodes"), 5)
    .option("--resume", "continue from the checkpoint in --out")
    .option(
      "--batch-size <n>",
      "mini-batch size (default: 256; rebrac: 1024, its paper's)",
      parseIntOption("--batch-size"),
    )
    .option(
      "--hidden <widths>",
      "hidden layer widths of every network, e.g. 64,64 (default: 256,256)",
      parseHiddenOption,
    )
    .option("--config <json>", 'config fields of --algo, e.g. \'{"beta": 1, "logStd": "free"}\'')
    .option(
      "--workers <n>",
      "JavaScript learner threads: 1 (the engine threads inside ONNX Runtime; see --threads)",
      parseIntOption("--workers"),
    )
    .option(
      "--checkpoint-every <n>",
      "checkpoint every N updates (default: --eval-every, else 5000)",
      parseIntOption("--checkpoint-every"),
    )
    .option(
      "--target-return <x>",
      "dt: the return evaluation conditions on (default: the dataset's best episode return)",
      parseFloatOption("--target-return"),
    )
    .option("--json", "end stdout with one JSON object summarizing the run")
    .action(async (flags: TrainFlags) => {
      const { assertAlgoName, ALGO_DEFAULTS, defaultBatchSize } = await import("../../rl/algos/registry.js");
      const { parseAlgoConfigOption } = await import("../config-option.js");
      const { runTraining } = await import("../../rl/run-training.js");
      const { startProgress } = await import("../progress.js");
      const { TetherError } = await import("../../core/errors.js");
      const algo = assertAlgoName(flags.algo);
      if (flags.targetReturn !== undefined && algo !== "dt")
        throw new TetherError("CLI", `--target-return applies to --algo dt only, got --algo ${algo}`);
      if (flags.hidden !== undefined && algo === "dt")
        throw new TetherError(
          "CLI",
          "--hidden does not apply to --algo dt: set embedDim/layers with --config",
        );
      const config = {
        ...parseAlgoConfigOption(flags.config, algo, ALGO_DEFAULTS[algo]),
        ...(flags.hidden ? { hidden: flags.hidden } : {}),
      };
      // The engine's device first: --device cuda without the provider fails before any data is read.
      const { resolveDevice, configureEngine } = await import("../../tensor/session.js");
      const { parseDevice } = await import("../device-option.js");
      const { availableParallelism } = await import("node:os");
      const engine = resolveDevice(
        {
          device: flags.device === undefined ? undefined : parseDevice(flags.device),
          threads: flags.threads,
        },
        availableParallelism(),
      );
      configureEngine(engine);
      process.stderr.write(`train: ${engine.description}\n`);
      // Fails fast on a bad --workers; the trainer logs the thread line once the learner runs.
      const { learnerThreads } = await import("../../rl/learner-threads.js");
      learnerThreads(flags.workers);
      const progress = startProgress(`train ${algo}`, flags.steps);
      let result;
      try {
        result = await runTraining(
          {
            algo,
            dataset: flags.dataset,
            robot: flags.robot,
            steps: flags.steps,
            out: flags.out,
            seed: flags.seed,
            evalEvery: flags.evalEvery,
            evalEpisodes: flags.evalEpisodes,
            resume: flags.resume === true,
            batchSize: flags.batchSize ?? defaultBatchSize(algo),
            checkpointEvery: flags.checkpointEvery,
            workers: flags.workers,
            targetReturn: flags.targetReturn,
            config,
          },
          {
            onProgress: (step, metrics, ups) => {
              const fields: Record<string, number> = { "upd/s": ups };
              for (const k of ["loss/critic", "loss/actor", "loss/value"])
                if (k in metrics) fields[k.slice(5)] = metrics[k];
              progress.update(step, fields);
            },
            onLog: (line) => process.stderr.write(`train: ${line}\n`),
          },
        );
      } finally {
        progress.stop();
      }
      const last = result.evals.at(-1);
      const summary = {
        algo,
        engine: `onnxruntime-${engine.device}`,
        threads: engine.threads,
        workers: result.workers,
        out: result.outDir,
        steps: result.steps,
        updates_per_s: Number(result.updatesPerSecond.toFixed(2)),
        metrics: result.lastMetrics,
        ...(result.targetReturn === undefined ? {} : { target_return: result.targetReturn }),
        eval_return: last?.meanReturn ?? null,
        eval_normalized_score: last?.meanNormalizedScore ?? null,
      };
      if (flags.json) printJsonLine(summary);
      else {
        process.stdout.write(
          `trained ${algo} for ${result.steps} updates (${summary.updates_per_s} updates/s on ${summary.engine}); policy package in ${result.outDir}\n` +
            (last
              ? `last evaluation: return ${last.meanReturn.toFixed(2)}${last.meanNormalizedScore === undefined ? "" : `, normalized score ${last.meanNormalizedScore.toFixed(1)}`}\n`
              : ""),
        );
      }
    });
}
