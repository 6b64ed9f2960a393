/**
 * `tether bench o2o`: the offline-to-online table, CORL-style. For each robot, algorithm (IQL, AWAC, Cal-QL,
 * ReBRAC) and seed: train offline on the robot's medium dataset (or reuse the package a previous run left in
 * --models-dir), then fine-tune it online in MujocoEnv behind the default chain (shield, SafetyCore monitors,
 * e-stop) for a fixed env-step budget, and report `offline_score`, `online_score` (95% CIs), `regret` and
 * `estops` per robot and algorithm (src/rl/eval/o2o-table.ts). Stderr gets a line per run, stdout the table
 * and (with --json) one JSON object as its last line.
 */
import type { Command } from "commander";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { TetherError } from "../../core/errors.js";
import { parsePerAlgoConfigOption } from "../config-option.js";
import { parseHiddenOption, parseIntOption, printJsonLine } from "../run.js";
import { addOnlineBudgetOptions } from "./online-budget-options.js";

interface O2oOptions {
  robots: string;
  algos: string;
  level: string;
  seeds: number;
  seedStart: number;
  offlineSteps?: number;
  hidden?: number[];
  datasetEpisodes?: number;
  batchSize: number;
  config?: string;
  envSteps: number;
  updatesPerStep: number;
  ratio: number;
  evalEvery?: number;
  evalEpisodes: number;
  explorationStd: number;
  modelsDir?: string;
  out?: string;
  dataDir?: string;
  device?: string;
  threads?: number;
  json?: boolean;
}

/** One folder per offline run, named by everything that shapes its weights, so a rerun reuses only its own. */
export function o2oPackageDir(
  modelsDir: string,
  p: {
    robot: string;
    level: string;
    episodes: number;
    algo: string;
    hidden: number[];
    steps: number;
    batchSize: number;
    seed: number;
    config?: Record<string, unknown>;
  },
): string {
  const conf =
    p.config && Object.keys(p.config).length > 0
      ? `-c${createHash("sha256").update(JSON.stringify(p.config)).digest("hex").slice(0, 8)}`
      : "";
  return join(
    modelsDir,
    `o2o-${p.robot}-${p.level}-${p.episodes}ep-${p.algo}-h${p.hidden.join("x")}-${p.steps}u-b${p.batchSize}${conf}-s${p.seed}`,
  );
}

export function registerBenchO2o(bench: Command): void {
  const cmd = bench
    .command("o2o")
    .description(
      "Offline to online: train IQL/AWAC/Cal-QL/ReBRAC offline, fine-tune each behind the shield and monitors; offline and online scores, regret, e-stops",
    )
    .option("--robots <names>", "comma-separated robots", "pendulum")
    .option(
      "--algos <names>",
      "comma-separated algorithms (iql, awac, calql, rebrac)",
      "iql,awac,calql,rebrac",
    )
    .option("--level <name>", "offline dataset level", "medium")
    .option("--seeds <n>", "seeds per robot and algorithm", parseIntOption("--seeds"), 2)
    .option(
      "--seed-start <n>",
      "first seed (seeds run from here; split one table's seeds across processes)",
      parseIntOption("--seed-start"),
      0,
    )
    .option(
      "--offline-steps <n>",
      "offline gradient updates (default: the robot's benchmark.steps)",
      parseIntOption("--offline-steps"),
    )
    .option(
      "--hidden <widths>",
      "hidden layer widths of every network (default: the robot's benchmark.hidden)",
      parseHiddenOption,
    )
    .option(
      "--dataset-episodes <n>",
      "episodes of the offline dataset (default: the robot's benchmark.dataset_episodes)",
      parseIntOption("--dataset-episodes"),
    )
    .option("--batch-size <n>", "mini-batch size, offline and online", parseIntOption("--batch-size"), 256)
    .option("--config <json>", 'per-algorithm config overrides, e.g. \'{"rebrac": {"minBcScale": 0.5}}\'');
  addOnlineBudgetOptions(cmd, {
    envSteps: { help: "online env-step budget per run", default: 10_000 },
    updatesPerStep: {
      help: "learner updates per env step (> 1 for a higher update-to-data ratio)",
      default: 0.5,
    },
    ratio: { help: "offline fraction of each online batch", default: 0.5 },
    evalEvery: { help: "evaluate every N env steps (default: a fifth of --env-steps)" },
    evalEpisodes: { help: "episodes per evaluation", default: 10 },
    explorationStd: {
      help: "Gaussian exploration noise (normalized units), before the shield",
      default: 0.1,
    },
  });
  cmd
    .option("--models-dir <dir>", "where offline packages are kept and reused (default: models/)")
    .option("--out <dir>", "folder for the fine-tune runs' curves and results (default: logs/o2o-<time>)")
    .option("--data-dir <dir>", "where datasets <robot>-<level>-<N>ep are read or collected (default: logs/)")
    .option("--device <name>", "engine device: cpu | cuda (default: cuda when its provider loads, else cpu)")
    .option(
      "--threads <n>",
      "engine threads (default: all cores; 1 when runs go side by side)",
      parseIntOption("--threads"),
    )
    .option("--json", "end stdout with one JSON object")
    .action(async (opts: O2oOptions) => {
      const { loadRobot, REPO_ROOT } = await import("../../robot/load.js");
      const { compileTask } = await import("../../robot/task-functions.js");
      const { ALGO_DEFAULTS, assertAlgoName, FINETUNE_ALGOS } = await import("../../rl/algos/registry.js");
      const { setupEngine } = await import("../device-option.js");
      const { engineOptions } = await import("../../tensor/session.js");
      const { runTraining } = await import("../../rl/run-training.js");
      const { runFinetuneJob } = await import("../../nodes/finetune/finetune-job.js");
      const { loadTransitions } = await import("../../data/dataset-reader.js");
      const { qualityScale, openBenchDataset } = await import("./quality-scale.js");
      const { summarizeO2o, formatO2oTable } = await import("../../rl/eval/o2o-table.js");

      const split = (s: string): string[] =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean);
      const robots = split(opts.robots);
      const algos = split(opts.algos).map((a) => {
        const name = assertAlgoName(a, "--algos");
        if (!(FINETUNE_ALGOS as readonly string[]).includes(name))
          throw new TetherError("CLI", `--algos: bench o2o runs ${FINETUNE_ALGOS.join(", ")}, got "${a}"`);
        return name;
      });
      const evalEvery = opts.evalEvery ?? Math.max(1, Math.floor(opts.envSteps / 5));
      for (const [flag, v] of [
        ["--seeds", opts.seeds],
        ["--env-steps", opts.envSteps],
        ["--eval-episodes", opts.evalEpisodes],
        ["--batch-size", opts.batchSize],
        ["--offline-steps", opts.offlineSteps ?? 1],
        ["--dataset-episodes", opts.datasetEpisodes ?? 1],
      ] as const)
        if (v < 1) throw new TetherError("CLI", `${flag} must be at least 1, got ${v}`);
      if (opts.seedStart < 0)
        throw new TetherError("CLI", `--seed-start must be at least 0, got ${opts.seedStart}`);
      if (robots.length === 0 || algos.length === 0)
        throw new TetherError("CLI", "--robots and --algos must name at least one each");
      if (opts.evalEpisodes < 2)
        throw new TetherError("CLI", "--eval-episodes must be at least 2 for a confidence interval");
      const overrides = parsePerAlgoConfigOption(
        opts.config,
        (a) => assertAlgoName(a, "--config"),
        ALGO_DEFAULTS,
      );
      const engine = await setupEngine(opts);
      process.stderr.write(`bench o2o: ${engine}\n`);

      const { loadavg } = await import("node:os");
      const loadBefore = loadavg()[0];
      const started = Date.now();
      const modelsDir = resolve(opts.modelsDir ?? join(REPO_ROOT, "models"));
      const outDir = resolve(
        opts.out ?? join(REPO_ROOT, "logs", `o2o-${new Date().toISOString().replace(/[:.]/g, "-")}`),
      );
      mkdirSync(outDir, { recursive: true });
      const cells: ReturnType<typeof summarizeO2o>[] = [];
      const scales: Record<string, ReturnType<typeof qualityScale>> = {};
      const runs: Record<string, unknown>[] = [];
      for (const name of robots) {
        const robot = loadRobot(name);
        const task = compileTask(robot.spec);
        const normalized = task.normalizedScore(0) !== undefined;
        const scale = qualityScale(robot.spec, {
          hidden: opts.hidden,
          steps: opts.offlineSteps,
          dataset_episodes: opts.datasetEpisodes,
        });
        scales[robot.spec.name] = scale;
        const ds = await openBenchDataset({
          dataDir: opts.dataDir ?? join(REPO_ROOT, "logs"),
          robot: name,
          robotName: robot.spec.name,
          level: opts.level,
          episodes: scale.dataset_episodes,
          log: (line) => process.stderr.write(`bench o2o: ${line}\n`),
        });
        const datasetDir = ds.dir;
        const cols = loadTransitions(ds);
        for (const algo of algos) {
          const algoRuns: Parameters<typeof summarizeO2o>[2] = [];
          for (let seed = opts.seedStart; seed < opts.seedStart + opts.seeds; seed++) {
            const config = { hidden: scale.hidden, ...overrides[algo] };
            const pkgDir = o2oPackageDir(modelsDir, {
              robot: robot.spec.name,
              level: opts.level,
              episodes: scale.dataset_episodes,
              algo,
              hidden: scale.hidden,
              steps: scale.steps,
              batchSize: opts.batchSize,
              seed,
              config: overrides[algo],
            });
            const t0 = Date.now();
            let offlineSeconds = 0;
            const reused = existsSync(join(pkgDir, "policy.json")) && existsSync(join(pkgDir, "config.json"));
            if (!reused) {
              const run = await runTraining(
                {
                  algo,
                  dataset: datasetDir,
                  robot: name,
                  steps: scale.steps,
                  out: pkgDir,
                  seed,
                  evalEvery: 0,
                  evalEpisodes: 0,
                  resume: false,
                  batchSize: opts.batchSize,
                  config,
                  columns: cols,
                  supportSteps: 200,
                },
                {},
              );
              offlineSeconds = (Date.now() - t0) / 1000;
              process.stderr.write(
                `bench o2o: ${robot.spec.name} ${algo} seed ${seed}: trained offline (${scale.steps} updates, ${offlineSeconds.toFixed(0)} s, ${run.updatesPerSecond.toFixed(0)} updates/s) -> ${pkgDir}\n`,
              );
            } else
              process.stderr.write(`bench o2o: ${robot.spec.name} ${algo} seed ${seed}: reusing ${pkgDir}\n`);
            const t1 = Date.now();
            const ft = await runFinetuneJob({
              model: pkgDir,
              algo,
              robot: name,
              dataset: datasetDir,
              columns: cols,
              envSteps: opts.envSteps,
              ratio: opts.ratio,
              updatesPerStep: opts.updatesPerStep,
              evalEvery,
              evalEpisodes: opts.evalEpisodes,
              batchSize: opts.batchSize,
              seed,
              explorationStd: opts.explorationStd,
              out: join(outDir, `${robot.spec.name}-${algo}-s${seed}`),
              plot: false,
            });
            const estopStep = ft.estop ? ft.estop.env_step : null;
            algoRuns.push({ seed, curve: ft.curve, estop_step: estopStep });
            runs.push({
              robot: robot.spec.name,
              algo,
              seed,
              package: pkgDir,
              reused,
              offline_seconds: offlineSeconds,
              online_seconds: (Date.now() - t1) / 1000,
              updates: ft.updates,
              updates_per_second: ft.updates_per_second,
              violations: ft.violations,
              estop: ft.estop,
              curve: ft.curve.map((p) => ({ env_step: p.env_step, score: p.score })),
              result: join(ft.out_dir, "result.json"),
            });
            process.stderr.write(
              `bench o2o: ${robot.spec.name} ${algo} seed ${seed}: ${ft.baseline_score.toFixed(1)} -> ${ft.final_score.toFixed(1)} after ${ft.env_steps} env steps (${ft.updates} updates, ${((Date.now() - t1) / 1000).toFixed(0)} s)${ft.estop ? `; e-stop at step ${ft.estop.env_step} (${ft.estop.monitor})` : ""}\n`,
            );
          }
          const cell = summarizeO2o(robot.spec.name, algo, algoRuns, normalized);
          cells.push(cell);
        }
      }
      process.stdout.write(formatO2oTable(cells) + "\n");
      const summary = {
        benchmark: "o2o",
        engine: `onnxruntime-${engineOptions().device}`,
        level: opts.level,
        scale: scales,
        batch_size: opts.batchSize,
        config: overrides,
        seeds: opts.seeds,
        seed_start: opts.seedStart,
        env_steps: opts.envSteps,
        updates_per_step: opts.updatesPerStep,
        ratio: opts.ratio,
        eval_every: evalEvery,
        eval_episodes: opts.evalEpisodes,
        exploration_std: opts.explorationStd,
        cells,
        runs,
        out_dir: outDir,
        seconds: Math.round((Date.now() - started) / 1000),
        // 1-minute load average at the start and the end: the machine is shared, speeds depend on it.
        load_average_1m: [Number(loadBefore.toFixed(2)), Number(loadavg()[0].toFixed(2))],
      };
      if (opts.json) printJsonLine(summary);
    });
}
