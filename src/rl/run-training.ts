/**
 * `tether train` end to end: robot, dataset, trainer with MujocoEnv evaluation, policy package.
 * Kept out of the CLI file so the CLI stays a thin argument parser and tests can call it directly.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { TransitionColumns } from "../core/transitions.js";
import { loadRobot, REPO_ROOT } from "../robot/load.js";
import { compileTask } from "../robot/task-functions.js";
import { DtLearner } from "./algos/dt.js";
import { DtContext } from "./algos/dt-context.js";
import type { AlgoName } from "./algos/learner.js";
import { writeTrainedPackage } from "./package.js";
import { rolloutEpisodes } from "./rollout.js";
import { hashColumns, trainOffline, type TrainerHooks, type TrainResult } from "./trainer.js";

export interface RunTrainingOptions {
  algo: AlgoName;
  dataset: string;
  robot: string;
  steps: number;
  out: string;
  seed: number;
  evalEvery: number;
  evalEpisodes: number;
  resume: boolean;
  batchSize: number;
  /** Learner threads: 1 (see learner-threads.ts). */
  workers?: number;
  checkpointEvery?: number;
  logEvery?: number;
  config?: Record<string, unknown>;
  /** Steps of the support model fit written into the package. */
  supportSteps?: number;
  /** Already-loaded columns (tests); otherwise the dataset folder is read. */
  columns?: TransitionColumns;
  /** DT: the return evaluation conditions on (default: the dataset's best episode return). */
  targetReturn?: number;
}

export interface RunTrainingResult extends Omit<TrainResult, "learner"> {
  outDir: string;
  packageDir: string;
}

/** `--dataset` is a folder; a bare name is also looked up under logs/. */
export function resolveDatasetDir(dataset: string): string {
  const candidates = [resolve(dataset), join(REPO_ROOT, "logs", dataset)];
  for (const c of candidates) if (existsSync(join(c, "manifest.json")) || existsSync(c)) return c;
  throw new ConfigError(dataset, "--dataset", "dataset folder not found", {
    hint: `looked in ${candidates.join(" and ")}`,
  });
}

export async function runTraining(
  options: RunTrainingOptions,
  hooks: Omit<TrainerHooks, "evaluate"> = {},
): Promise<RunTrainingResult> {
  const robot = loadRobot(options.robot);
  let cols: TransitionColumns;
  let source: string;
  let datasetHash: string;
  if (options.columns) {
    cols = options.columns;
    source = options.dataset;
    datasetHash = hashColumns(cols);
  } else {
    const dir = resolveDatasetDir(options.dataset);
    const { openDataset, loadTransitions } = await import("../data/dataset-reader.js");
    const ds = openDataset(dir);
    if (ds.manifest.robot !== robot.spec.name) {
      throw new ConfigError(
        join(dir, "manifest.json"),
        "robot",
        `dataset was recorded for robot "${ds.manifest.robot}", --robot is "${robot.spec.name}"`,
      );
    }
    cols = loadTransitions(ds);
    source = dir;
    datasetHash = ds.manifest.contentHash;
  }
  const task = compileTask(robot.spec);
  let evaluate: TrainerHooks["evaluate"];
  let env: { close(): void } | undefined;
  if (options.evalEvery > 0) {
    const { MujocoEnv } = await import("../sim/mujoco-env.js");
    const mj = await MujocoEnv.create(robot, { seed: options.seed });
    env = mj;
    evaluate = async (learner) => {
      // DT acts on its context: the last K steps and the return still to collect.
      const context = learner instanceof DtLearner ? new DtContext(learner, learner.targetReturn) : undefined;
      const r = await rolloutEpisodes(
        mj,
        (obs) => (context ? context.act(obs) : learner.act(obs)),
        options.evalEpisodes,
        10_000 + options.seed * 1000,
        mj.maxEpisodeSteps + 1,
        context,
      );
      const scores = r.returns.map((x) => task.normalizedScore(x));
      return {
        returns: r.returns,
        normalizedScores: scores.every((s) => s !== undefined) ? (scores as number[]) : undefined,
      };
    };
  }
  let result: TrainResult;
  try {
    result = await trainOffline(
      robot,
      { cols, source, datasetHash },
      {
        algo: options.algo,
        config: options.config,
        steps: options.steps,
        batchSize: options.batchSize,
        seed: options.seed,
        outDir: options.out,
        evalEvery: options.evalEvery,
        evalEpisodes: options.evalEpisodes,
        checkpointEvery:
          options.checkpointEvery ??
          Math.max(1, Math.min(options.steps, options.evalEvery > 0 ? options.evalEvery : 5000)),
        logEvery: options.logEvery ?? Math.max(1, Math.min(100, options.steps)),
        resume: options.resume,
        workers: options.workers,
        targetReturn: options.targetReturn,
      },
      { ...hooks, evaluate },
    );
  } finally {
    env?.close();
  }
  const { learner, ...rest } = result;
  try {
    const lastEval = result.evals.at(-1);
    writeTrainedPackage(
      options.out,
      robot,
      learner,
      cols,
      {
        dataset: source,
        datasetHash,
        config: {
          ...result.config,
          rewardScale: result.rewardScale,
          batchSize: options.batchSize,
          steps: options.steps,
          ...(result.targetReturn === undefined ? {} : { targetReturn: result.targetReturn }),
        },
        metrics: {
          ...result.lastMetrics,
          ...(lastEval
            ? { "eval/return": lastEval.meanReturn, "eval/normalized_score": lastEval.meanNormalizedScore }
            : {}),
        },
        seed: options.seed,
      },
      new Rng(options.seed + 7),
      options.supportSteps === undefined ? {} : { steps: options.supportSteps },
    );
  } finally {
    learner.dispose();
  }
  return { ...rest, outDir: resolve(options.out), packageDir: resolve(options.out) };
}
