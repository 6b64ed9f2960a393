/**
 * What a stage runner works with: the robot, the policy package (and its shield), the dataset the policy was
 * trained on, an optional fallback package (BC), and where run logs go.
 */
import { loadRobot, type LoadedRobot } from "../../robot/load.js";
import type { TransitionColumns } from "../../core/transitions.js";
import { loadPolicyPackage, type PolicyPackage } from "../../policy/package.js";
import { createPackageRunner } from "../../policy/package-runner.js";
import { PolicyRunner, SupportRunner } from "../../policy/runner.js";
import { controllerFromRunner, type Controller } from "../../safety/fallback.js";
import { bootstrapMeanCI } from "../../rl/eval/bootstrap.js";
import { episodeReturns } from "../../data/dataset-reader.js";
import { compileTask } from "../../robot/task-functions.js";
import type { ScoreInterval } from "../../report/run-summary.js";

export interface StageContext {
  robot: LoadedRobot;
  /** The package under test (a folder with policy.json). */
  pkg: PolicyPackage;
  /** Version label recorded in the ledger ("v0" = the offline policy). */
  version: string;
  /** Dataset transitions (behavior data) for support gaps, FQE and the behavior score. */
  dataset: TransitionColumns;
  /** Dataset folder, for shadow replay. */
  datasetDir: string;
  /** Fallback controller package (BC); the package's own behavior model is used otherwise. */
  fallbackPkg?: PolicyPackage;
  /** Folder for MCAP run logs. */
  runLogDir: string;
  episodes: number;
  seed: number;
  /** Offline stage: FQE gradient steps (0 skips FQE). */
  fqeSteps: number;
  onProgress?: (done: number, total: number) => void;
}

export function loadPackage(dir: string): PolicyPackage {
  return loadPolicyPackage(dir);
}

export function robotOf(name: string): LoadedRobot {
  return loadRobot(name);
}

/** The fallback controller: the BC package when given, else the package's behavior model mean. */
export function fallbackController(ctx: StageContext): Controller | undefined {
  if (ctx.fallbackPkg) return controllerFromRunner(PolicyRunner.fromPackage(ctx.fallbackPkg));
  // The package's own runner normalizes the observation (PolicyRunner alone refuses a decision transformer).
  const sr = SupportRunner.fromPackage(ctx.pkg, createPackageRunner(ctx.pkg));
  if (!sr) return undefined;
  const std = new Float64Array(ctx.pkg.manifest.action.dim);
  return { act: (obs, _sig, out) => sr.evaluate(obs, out, std) };
}

/** The behavior's normalized score: mean over the dataset's episodes, with a 95% bootstrap CI. */
export function behaviorScore(ctx: StageContext): ScoreInterval | undefined {
  const task = compileTask(ctx.robot.spec);
  const r = episodeReturns(ctx.dataset);
  const scores: number[] = [];
  for (const x of r.returns) {
    const s = task.normalizedScore(x);
    if (s === undefined) return undefined;
    scores.push(s);
  }
  if (scores.length < 2) return undefined;
  const ci = bootstrapMeanCI(scores, { seed: ctx.seed, resamples: 2000 });
  return { mean: ci.mean, ci_low: ci.low, ci_high: ci.high };
}

export function scoreInterval(scores: number[] | undefined, seed: number): ScoreInterval | undefined {
  if (!scores || scores.length < 2) return undefined;
  const ci = bootstrapMeanCI(scores, { seed, resamples: 2000 });
  return { mean: ci.mean, ci_low: ci.low, ci_high: ci.high };
}
