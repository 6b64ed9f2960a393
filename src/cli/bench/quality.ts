/**
 * `tether bench quality`: trains each algorithm on each robot's medium, medium-replay and expert datasets
 * (3 seeds, at the scale of the robot's `benchmark` section), evaluates each policy package in MujocoEnv, and
 * prints the normalized score mean ± std per (dataset, algorithm) next to the dataset's own (behavior) score.
 * Datasets are read from logs/<robot>-<level>-<N>ep (or under --data-dir) and collected there first when missing.
 * Cells run one after another; stderr gets a line per seed and per cell, stdout the table, the targets'
 * verdicts and (with --json) one JSON object.
 */
import type { Command } from "commander";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TetherError } from "../../core/errors.js";
import { parsePerAlgoConfigOption } from "../config-option.js";
import { checkPlotFile, parseHiddenOption, parseIntOption, printJsonLine } from "../run.js";

const DEFAULT_LEVELS = ["medium", "medium-replay", "expert"];

interface QualityOptions {
  robots?: string;
  algos: string;
  levels: string;
  seeds: number;
  steps?: number;
  hidden?: number[];
  batchSize: number;
  dtBatchSize: number;
  config?: string;
  datasetEpisodes?: number;
  evalEpisodes: number;
  dataDir?: string;
  device?: string;
  threads?: number;
  plot?: string;
  json?: boolean;
}

export function registerBenchQuality(bench: Command): void {
  bench
    .command("quality")
    .description(
      "Offline RL quality: each algorithm × robot × dataset level, normalized score mean ± std over seeds",
    )
    .option("--robots <names>", "comma-separated robots (default: all)")
    .option("--algos <names>", "comma-separated algorithms", "iql,awac,td3bc,bc,cql,calql,rebrac,dt")
    .option("--levels <names>", "comma-separated dataset levels", DEFAULT_LEVELS.join(","))
    .option("--seeds <n>", "seeds per cell", parseIntOption("--seeds"), 3)
    .option(
      "--steps <n>",
      "gradient updates per training run (default: the robot's benchmark.steps)",
      parseIntOption("--steps"),
    )
    .option(
      "--hidden <widths>",
      "hidden layer widths of every network, e.g. 256,256 (default: the robot's benchmark.hidden)",
      parseHiddenOption,
    )
    .option(
      "--batch-size <n>",
      "mini-batch size (every algorithm but dt)",
      parseIntOption("--batch-size"),
      256,
    )
    // CORL's and d3rlpy's DT batch: the dt column is measured at its reference's settings, and a DT update
    // at 256 costs four times as much (docs/benchmarks.md).
    .option(
      "--dt-batch-size <n>",
      "dt's mini-batch size (segments of K steps)",
      parseIntOption("--dt-batch-size"),
      64,
    )
    .option("--config <json>", 'per-algorithm config overrides, e.g. \'{"cql": {"sampledActions": 4}}\'')
    .option(
      "--dataset-episodes <n>",
      "episodes per dataset (default: the robot's benchmark.dataset_episodes)",
      parseIntOption("--dataset-episodes"),
    )
    .option(
      "--eval-episodes <n>",
      // 20, not 5: pusher episodes differ so much that with few evaluation episodes the seed std is mostly
      // evaluation noise (docs/benchmarks.md, "How many evaluation episodes").
      "evaluation episodes per trained policy",
      parseIntOption("--eval-episodes"),
      20,
    )
    .option("--data-dir <dir>", "where datasets <robot>-<level>-<N>ep are read or collected (default: logs/)")
    .option("--device <name>", "engine device: cpu | cuda (default: cuda when its provider loads, else cpu)")
    .option(
      "--threads <n>",
      "engine threads (default: all cores; 1 when cells run side by side)",
      parseIntOption("--threads"),
    )
    .option("--plot <file>", "also draw the table as a chart, to an .svg or .png file")
    .option("--json", "end stdout with one JSON object")
    .action(async (opts: QualityOptions) => {
      const { listRobots, loadRobot, REPO_ROOT } = await import("../../robot/load.js");
      const { compileTask } = await import("../../robot/task-functions.js");
      const { assertAlgoName, ALGO_DEFAULTS } = await import("../../rl/algos/registry.js");
      const { setupEngine } = await import("../device-option.js");
      const { engineOptions } = await import("../../tensor/session.js");
      const { runTraining } = await import("../../rl/run-training.js");
      const { loadPolicyPackage } = await import("../../policy/package.js");
      const { evaluatePackage } = await import("../../rl/eval/evaluate-package.js");
      const { summarizeCell, formatQualityTable, qualityTargets, formatTargets } =
        await import("../../rl/eval/quality-table.js");
      const { DATASET_LEVELS } = await import("../commands/collect.js");
      const { loadTransitions, episodeReturns } = await import("../../data/dataset-reader.js");
      const { MujocoEnv } = await import("../../sim/mujoco-env.js");

      if (opts.plot !== undefined) checkPlotFile(opts.plot);
      const split = (s: string): string[] =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean);
      const robots = opts.robots ? split(opts.robots) : listRobots();
      const algos = split(opts.algos).map((a) => assertAlgoName(a, "--algos"));
      const levels = split(opts.levels);
      for (const l of levels) {
        if (!(DATASET_LEVELS as readonly string[]).includes(l))
          throw new TetherError(
            "CLI",
            `--levels: unknown level "${l}" (known: ${DATASET_LEVELS.join(", ")})`,
          );
      }
      const { qualityScale, openBenchDataset } = await import("./quality-scale.js");
      if (
        opts.seeds < 1 ||
        (opts.steps ?? 1) < 1 ||
        (opts.datasetEpisodes ?? 1) < 1 ||
        opts.evalEpisodes < 1 ||
        opts.batchSize < 1 ||
        opts.dtBatchSize < 1
      )
        throw new TetherError(
          "CLI",
          "--seeds, --steps, --dataset-episodes, --batch-size, --dt-batch-size and --eval-episodes must be at least 1",
        );
      const overrides = parsePerAlgoConfigOption(
        opts.config,
        (a) => assertAlgoName(a, "--config"),
        ALGO_DEFAULTS,
      );
      const engine = await setupEngine(opts);
      process.stderr.write(`bench quality: ${engine}\n`);

      const started = Date.now();
      const work = mkdtempSync(join(tmpdir(), "tether-quality-"));
      const cells: ReturnType<typeof summarizeCell>[] = [];
      const behavior = new Map<string, number | null>();
      const updatesPerSecond: number[] = [];
      const robotConfig: Record<string, Record<string, Record<string, unknown>>> = {};
      const scales: Record<string, ReturnType<typeof qualityScale>> = {};
      const totalCells = robots.length * levels.length * algos.length;
      try {
        for (const name of robots) {
          const robot = loadRobot(name);
          if (Object.keys(robot.spec.training).length > 0) {
            robotConfig[robot.spec.name] = robot.spec.training;
            process.stderr.write(
              `bench quality: ${robot.spec.name} trains with ${JSON.stringify(robot.spec.training)} from ${robot.specFile} (under --config)\n`,
            );
          }
          const scale = qualityScale(robot.spec, {
            dataset_episodes: opts.datasetEpisodes,
            hidden: opts.hidden,
            steps: opts.steps,
          });
          scales[robot.spec.name] = scale;
          process.stderr.write(
            `bench quality: ${robot.spec.name} at ${scale.dataset_episodes} episodes per dataset, hidden ${scale.hidden.join("x")}, ${scale.steps} updates\n`,
          );
          const task = compileTask(robot.spec);
          const env = await MujocoEnv.create(robot, { seed: 0 });
          try {
            for (const level of levels) {
              const ds = await openBenchDataset({
                dataDir: opts.dataDir ?? join(REPO_ROOT, "logs"),
                robot: name,
                robotName: robot.spec.name,
                level,
                episodes: scale.dataset_episodes,
                log: (line) => process.stderr.write(`bench quality: ${line}\n`),
              });
              const datasetDir = ds.dir;
              const cols = loadTransitions(ds);
              const rets = Array.from(episodeReturns(cols).returns);
              const behaviorScore = task.normalizedScore(
                rets.reduce((a, b) => a + b, 0) / Math.max(1, rets.length),
              );
              behavior.set(`${robot.spec.name}-${level}`, behaviorScore ?? null);
              for (const algo of algos) {
                const scores: number[] = [];
                for (let seed = 0; seed < opts.seeds; seed++) {
                  const out = join(work, `${robot.spec.name}-${level}-${algo}-s${seed}`);
                  const t0 = Date.now();
                  const run = await runTraining(
                    {
                      algo,
                      dataset: datasetDir,
                      robot: name,
                      steps: scale.steps,
                      out,
                      seed,
                      evalEvery: 0,
                      evalEpisodes: 0,
                      resume: false,
                      batchSize: algo === "dt" ? opts.dtBatchSize : opts.batchSize,
                      // DT's size is its embedding and blocks (--config), not hidden widths.
                      config: { ...(algo === "dt" ? {} : { hidden: scale.hidden }), ...overrides[algo] },
                      columns: cols,
                      supportSteps: 200,
                    },
                    {},
                  );
                  updatesPerSecond.push(run.updatesPerSecond);
                  const report = await evaluatePackage(loadPolicyPackage(run.packageDir), env, {
                    episodes: Math.max(2, opts.evalEpisodes),
                    seed: 10_000 + seed * 100,
                    normalizedScore: (r) => task.normalizedScore(r),
                    bootstrapResamples: 200,
                  });
                  const score = report.normalized_score?.mean ?? Number.NaN;
                  scores.push(score);
                  process.stderr.write(
                    `bench quality: ${robot.spec.name}-${level} ${algo} seed ${seed}: score ${score.toFixed(1)} (${((Date.now() - t0) / 1000).toFixed(0)} s, ${run.updatesPerSecond.toFixed(0)} updates/s)\n`,
                  );
                }
                const cell = summarizeCell({ robot: robot.spec.name, level, algo, scores });
                cells.push(cell);
                process.stderr.write(
                  `bench quality: cell ${cells.length}/${totalCells} ${cell.robot}-${level} ${algo}: ${cell.mean.toFixed(1)} ± ${cell.std.toFixed(1)} (behavior ${behaviorScore === undefined ? "n/a" : behaviorScore.toFixed(1)}; ${((Date.now() - started) / 1000).toFixed(0)} s elapsed)\n`,
                );
              }
            }
          } finally {
            env.close();
          }
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
      const targets = qualityTargets(cells, behavior);
      process.stdout.write(formatQualityTable(cells, algos, behavior) + "\n" + formatTargets(targets) + "\n");
      if (opts.plot !== undefined) {
        const { writePlot } = await import("../../data/plots.js");
        const { qualityChartSpec } = await import("../../rl/eval/quality-chart.js");
        await writePlot(opts.plot, qualityChartSpec(cells, algos, behavior));
        process.stderr.write(`bench quality: wrote ${opts.plot}\n`);
      }
      const summary = {
        benchmark: "quality",
        engine: `onnxruntime-${engineOptions().device}`,
        scale: scales,
        batch_size: opts.batchSize,
        dt_batch_size: opts.dtBatchSize,
        config: overrides,
        robot_config: robotConfig,
        seeds: opts.seeds,
        eval_episodes: Math.max(2, opts.evalEpisodes),
        cells: cells.map((c) => ({
          dataset: `${c.robot}-${c.level}`,
          algo: c.algo,
          mean: c.mean,
          std: c.std,
          scores: c.scores,
        })),
        behavior: Object.fromEntries(behavior),
        targets,
        mean_updates_per_s: updatesPerSecond.length
          ? updatesPerSecond.reduce((a, b) => a + b, 0) / updatesPerSecond.length
          : null,
        seconds: Math.round((Date.now() - started) / 1000),
      };
      if (opts.json) printJsonLine(summary);
    });
}
