/**
 * The offline trainer: dataset + robot + algorithm -> checkpoints, metrics.jsonl, config.json and a policy
 * package in one folder (models/<name>/).
 *
 * Stops with a clear error, keeping the last good checkpoint, when the dataset does not fit the robot,
 * holds NaN/Inf, or the loss diverges (any metric NaN/Inf).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, TetherError } from "../core/errors.js";
import { Rng, type RngState } from "../core/rng.js";
import type { TransitionColumns } from "../core/transitions.js";
import type { LoadedRobot } from "../robot/load.js";
import { compileTask } from "../robot/task-functions.js";
import type { AlgoName, Learner, Metrics } from "./algos/learner.js";
import {
  createLearner,
  resolvedConfig,
  robotTrainingOverrides,
  samplerExtras,
  wantsReturnNormalizedRewards,
} from "./algos/registry.js";
import { CHECKPOINT_JSON, hasCheckpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { learnerThreads, type WorkerCount } from "./learner-threads.js";
import { JsonlMetricsSink, MetricsAverager, type MetricsSink } from "./metrics-log.js";
import { checkColumns, observationStats, returnRangeScale } from "./replay.js";
import { updateSource } from "./update-source.js";

export const CONFIG_FILE = "config.json";
export const METRICS_FILE = "metrics.jsonl";

export interface TrainerOptions {
  algo: AlgoName;
  /** Algorithm config overrides on top of the paper defaults. */
  config?: Record<string, unknown>;
  steps: number;
  batchSize: number;
  seed: number;
  outDir: string;
  /** Evaluate in the environment every N updates (0: never). */
  evalEvery: number;
  evalEpisodes: number;
  /** Save a checkpoint every N updates (and always at the end). */
  checkpointEvery: number;
  /** Write a metrics line (averages since the last line) every N updates. */
  logEvery: number;
  resume: boolean;
  /** Learner threads: 1 (see learner-threads.ts). */
  workers?: number;
  /** DT: the return evaluation conditions on (default: the dataset's best episode return). */
  targetReturn?: number;
}

export interface TrainerData {
  cols: TransitionColumns;
  /** Where the data came from (shown in errors and provenance). */
  source: string;
  /** Dataset identity for provenance (the manifest's content hash, or a hash of the columns). */
  datasetHash: string;
}

export interface EvalResult {
  returns: number[];
  normalizedScores: number[] | undefined;
}

export interface TrainerHooks {
  /** Episode evaluation of the current policy (the CLI wires MujocoEnv here). */
  evaluate?: (learner: Learner, step: number) => Promise<EvalResult>;
  onProgress?: (step: number, metrics: Metrics, updatesPerSecond: number) => void;
  onLog?: (line: string) => void;
  /** Replaces metrics.jsonl (tests). */
  sink?: MetricsSink;
}

export interface TrainResult {
  learner: Learner;
  /** Threads the learner ran on. */
  workers: WorkerCount;
  startStep: number;
  steps: number;
  lastMetrics: Metrics;
  evals: { step: number; meanReturn: number; meanNormalizedScore?: number }[];
  updatesPerSecond: number;
  obsMean: Float32Array;
  obsStd: Float32Array;
  rewardScale: number;
  config: Record<string, unknown>;
  /** DT: the return its evaluation conditioned on. */
  targetReturn?: number;
}

/** Mean of a metric list, for eval records. */
function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/** Content hash of transition columns (when the dataset has no manifest hash). */
export function hashColumns(cols: TransitionColumns): string {
  const h = createHash("sha256");
  for (const a of [cols.observations, cols.actions, cols.rewards, cols.nextObservations, cols.terminals])
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest("hex");
}

export async function trainOffline(
  robot: LoadedRobot,
  data: TrainerData,
  options: TrainerOptions,
  hooks: TrainerHooks = {},
): Promise<TrainResult> {
  const task = compileTask(robot.spec);
  checkColumns(data.cols, {
    obsDim: task.obsDim,
    actDim: task.actDim,
    source: data.source,
    robot: robot.spec.name,
  });
  if (!Number.isInteger(options.steps) || options.steps < 1)
    throw new TetherError("CLI", `--steps must be a positive integer, got ${options.steps}`);
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1)
    throw new TetherError("CLI", `--batch-size must be a positive integer, got ${options.batchSize}`);
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const configFile = join(outDir, CONFIG_FILE);

  const robotOverrides = robotTrainingOverrides(robot.spec.training, robot.specFile, options.algo);
  const config = resolvedConfig(options.algo, { ...robotOverrides, ...options.config });
  const { mean: obsMean, std: obsStd } = observationStats(data.cols);
  const rewardScale = wantsReturnNormalizedRewards(options.algo, config) ? returnRangeScale(data.cols) : 1;
  const runConfig = {
    algo: options.algo,
    config,
    robot: robot.spec.name,
    dataset: data.source,
    datasetHash: data.datasetHash,
    seed: options.seed,
    steps: options.steps,
    batchSize: options.batchSize,
    rewardScale,
    evalEvery: options.evalEvery,
    evalEpisodes: options.evalEpisodes,
  };

  if (options.resume) {
    if (!existsSync(configFile))
      throw new ConfigError(configFile, "(file)", "--resume needs the run's config.json", {
        hint: "run without --resume first",
      });
    const previous = JSON.parse(readFileSync(configFile, "utf8")) as typeof runConfig;
    for (const field of ["algo", "robot", "datasetHash"] as const) {
      if (previous[field] !== runConfig[field]) {
        throw new ConfigError(configFile, field, "--resume with a different run", {
          expected: String(previous[field]),
          actual: String(runConfig[field]),
        });
      }
    }
  }
  writeFileSync(configFile, JSON.stringify(runConfig, null, 2) + "\n");

  const rootRng = new Rng(options.seed);
  const threads = learnerThreads(options.workers);
  const learner = createLearner(
    options.algo,
    config,
    { obsDim: task.obsDim, actDim: task.actDim, obsMean, obsStd, rewardScale },
    rootRng.fork(),
  );
  hooks.onLog?.(threads.description);
  const robotKeys = Object.entries(robotOverrides).filter(([k]) => !(options.config && k in options.config));
  if (robotKeys.length > 0)
    hooks.onLog?.(
      `${options.algo} config from ${robot.specFile} (training.${options.algo}): ${robotKeys.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ")}`,
    );
  // Stopping on an error disposes the learner (its engine sessions) before the error propagates.
  try {
    let startStep = 0;
    // One sampler stream for the whole run; a checkpoint stores its position, so a resumed run draws the
    // batches the uninterrupted run would have (IQL updates draw no other randomness: bit-exact resume).
    let samplerRng = new Rng((options.seed * 1_000_003) >>> 0);
    const evals: TrainResult["evals"] = [];
    if (options.resume) {
      if (!hasCheckpoint(outDir))
        throw new ConfigError(join(outDir, "checkpoint.json"), "(file)", "no checkpoint to resume from");
      const { state, extra } = loadCheckpoint(outDir);
      learner.loadStateDict(state);
      startStep = state.step;
      if (Array.isArray(extra.evals)) evals.push(...(extra.evals as TrainResult["evals"]));
      samplerRng = resumedSamplerRng(outDir, extra, options.seed, startStep, hooks);
      hooks.onLog?.(`resumed ${options.algo} from step ${startStep}`);
    }
    const source = updateSource(learner, data.cols, options.batchSize, data.source, {
      extras: samplerExtras(options.algo, config),
      targetReturn: options.targetReturn,
    });
    if (source.targetReturn !== undefined) hooks.onLog?.(`dt: target return ${source.targetReturn}`);
    const sink = hooks.sink ?? new JsonlMetricsSink(join(outDir, METRICS_FILE), options.resume);
    const averager = new MetricsAverager();
    let lastGoodStep = startStep;
    let lastMetrics: Metrics = {};
    const started = performance.now();
    let windowStart = started;
    let windowSteps = 0;
    let updatesPerSecond = 0;

    const checkpoint = (step: number): void => {
      const state = learner.stateDict();
      for (const [name, a] of Object.entries(state.arrays)) {
        for (let i = 0; i < a.length; i++) {
          if (!Number.isFinite(a[i])) {
            throw diverged(step, `parameter ${name}[${i}] = ${a[i]}`, lastGoodStep, outDir);
          }
        }
      }
      saveCheckpoint(outDir, state, { evals, samplerRng: samplerRng.state() });
      lastGoodStep = step;
    };

    for (let step = startStep + 1; step <= options.steps; step++) {
      const metrics = source.update(samplerRng);
      for (const [k, v] of Object.entries(metrics)) {
        if (!Number.isFinite(v)) throw diverged(step, `${k} = ${v}`, lastGoodStep, outDir);
      }
      lastMetrics = metrics;
      averager.add(metrics);
      windowSteps++;
      const now = performance.now();
      if (now - windowStart > 2000) {
        updatesPerSecond = (1000 * windowSteps) / (now - windowStart);
        windowStart = now;
        windowSteps = 0;
      }
      if (step % options.logEvery === 0 || step === options.steps) {
        const elapsed = (now - started) / 1000;
        sink.write({
          step,
          time: Number(elapsed.toFixed(3)),
          ...averager.flush(),
          "train/updates_per_s": Number(((step - startStep) / Math.max(1e-9, elapsed)).toFixed(2)),
        });
      }
      hooks.onProgress?.(
        step,
        metrics,
        updatesPerSecond || (1000 * (step - startStep)) / Math.max(1, now - started),
      );
      if (
        hooks.evaluate &&
        options.evalEvery > 0 &&
        (step % options.evalEvery === 0 || step === options.steps)
      ) {
        const result = await hooks.evaluate(learner, step);
        const record: TrainResult["evals"][number] = { step, meanReturn: mean(result.returns) };
        const evalLine: Record<string, number> = { "eval/return": record.meanReturn };
        if (result.normalizedScores) {
          record.meanNormalizedScore = mean(result.normalizedScores);
          evalLine["eval/normalized_score"] = record.meanNormalizedScore;
        }
        evals.push(record);
        sink.write({ step, ...evalLine });
        hooks.onLog?.(
          `step ${step}: eval return ${record.meanReturn.toFixed(2)}${record.meanNormalizedScore === undefined ? "" : `, normalized score ${record.meanNormalizedScore.toFixed(1)}`}`,
        );
      }
      if (step % options.checkpointEvery === 0 || step === options.steps) checkpoint(step);
    }
    const total = (performance.now() - started) / 1000;
    return {
      learner,
      workers: threads.workers,
      startStep,
      steps: options.steps,
      lastMetrics,
      evals,
      updatesPerSecond: (options.steps - startStep) / Math.max(1e-9, total),
      obsMean,
      obsStd,
      rewardScale,
      config,
      ...(source.targetReturn === undefined ? {} : { targetReturn: source.targetReturn }),
    };
  } catch (err) {
    learner.dispose();
    throw err;
  }
}

/** The sampler stream where the checkpoint left it; checkpoints from before it was saved get a derived one. */
function resumedSamplerRng(
  outDir: string,
  extra: Record<string, unknown>,
  seed: number,
  startStep: number,
  hooks: TrainerHooks,
): Rng {
  if (extra.samplerRng === undefined) {
    hooks.onLog?.(
      "the checkpoint has no sampler state (older format): batches after the resume differ from an uninterrupted run",
    );
    return new Rng((seed * 1_000_003 + startStep) >>> 0);
  }
  try {
    return Rng.fromState(extra.samplerRng as RngState);
  } catch (err) {
    throw new ConfigError(join(outDir, CHECKPOINT_JSON), "extra.samplerRng", (err as Error).message, {
      cause: err,
    });
  }
}

function diverged(step: number, what: string, lastGoodStep: number, outDir: string): TetherError {
  return new TetherError(
    "DIVERGED",
    `training diverged at step ${step}: ${what}; ` +
      (lastGoodStep > 0
        ? `the last good checkpoint (step ${lastGoodStep}) is kept in ${outDir}`
        : `no checkpoint had been written yet in ${outDir}`),
    { step, lastGoodStep, outDir },
    { hint: "lower the learning rate, check reward scale, or resume from the checkpoint with --resume" },
  );
}
