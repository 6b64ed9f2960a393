/**
 * `tether eval`'s core: a policy package's plain-TS policy run for N episodes in an Env, reported as a mean
 * normalized score with a 95% bootstrap confidence interval (never a bare mean), plus support diagnostics:
 * - support gap: mean distance between the policy's actions and the dataset's actions at dataset states
 *   (when the dataset is at hand); otherwise the distance to the package's behavior model (BC mean) at the
 *   states the rollouts visited;
 * - the fraction of rollout actions outside the dataset's 0.5%–99.5% per-dimension quantile box.
 */
import { ConfigError } from "../../core/errors.js";
import type { Env } from "../../core/env.js";
import type { TransitionColumns } from "../../core/transitions.js";
import type { PolicyPackage } from "../../policy/package.js";
import { DtRunner } from "../../policy/dt-runner.js";
import { createPackageRunner } from "../../policy/package-runner.js";
import { SupportRunner } from "../../policy/runner.js";
import { dtActionsAt, policyActionsAt } from "../diagnostics/policy-actions.js";
import { fractionOutsideQuantileBox, supportGap } from "../diagnostics/support-gap.js";
import { bootstrapMeanCI, type MeanCI } from "./bootstrap.js";
import { rolloutPolicy, type EpisodeSummary } from "./rollout.js";

export interface EvaluateOptions {
  episodes: number;
  seed: number;
  normalizedScore?: (episodeReturn: number) => number | undefined;
  /** Dataset transitions for the support gap at dataset states (the chapter's definition). */
  dataset?: TransitionColumns;
  bootstrapResamples?: number;
  /** Decision transformer: the return each episode is conditioned on (default: the package's). */
  targetReturn?: number;
  onEpisode?: (e: EpisodeSummary) => void;
}

export type SupportGapSource = "dataset_states" | "bc_mean_on_visited_states";

export interface EvalReport {
  robot: string;
  algorithm: string;
  episodes: number;
  seed: number;
  returns: number[];
  lengths: number[];
  terminated: number;
  /** Mean episode return with its 95% bootstrap interval. */
  return_ci: MeanCI;
  /** Mean normalized score with its 95% bootstrap interval; null when the robot has no reference returns. */
  normalized_score: MeanCI | null;
  support_gap: number | null;
  support_gap_source: SupportGapSource | null;
  /** Fraction of rollout actions outside the dataset's [0.5%, 99.5%] quantile box. */
  outside_quantile_box: number;
  /** Same fraction for the policy's actions at dataset states (when the dataset is at hand). */
  dataset_outside_quantile_box: number | null;
}

export async function evaluatePackage(
  pkg: PolicyPackage,
  env: Env,
  options: EvaluateOptions,
): Promise<EvalReport> {
  const m = pkg.manifest;
  const manifestFile = `${pkg.dir}/policy.json`;
  if (env.obsDim !== m.observation.dim) {
    throw new ConfigError(
      manifestFile,
      "observation.dim",
      `the package does not fit this robot's observation`,
      {
        expected: String(env.obsDim),
        actual: String(m.observation.dim),
      },
    );
  }
  if (env.actDim !== m.action.dim) {
    throw new ConfigError(manifestFile, "action.dim", `the package does not fit this robot's actuators`, {
      expected: String(env.actDim),
      actual: String(m.action.dim),
    });
  }
  const runner = createPackageRunner(pkg);
  const dt = runner instanceof DtRunner ? runner : undefined;
  if (dt && options.targetReturn !== undefined) dt.reset(options.targetReturn);
  const rollouts = await rolloutPolicy(env, (obs, out) => runner.act(obs, out), {
    episodes: options.episodes,
    seed: options.seed,
    normalizedScore: options.normalizedScore,
    onEpisode: options.onEpisode,
    episodeHooks: dt && { reset: () => dt.reset(), reward: (r) => dt.reward(r) },
  });
  const returns = rollouts.episodes.map((e) => e.return);
  const scores = rollouts.episodes.map((e) => e.normalizedScore);
  const resamples = options.bootstrapResamples ?? 4000;
  const scoreCI = scores.every((s): s is number => s !== undefined)
    ? bootstrapMeanCI(scores, { seed: options.seed, resamples })
    : null;

  const actDim = m.action.dim;
  let gap: number | null = null;
  let source: SupportGapSource | null = null;
  let datasetOutside: number | null = null;
  if (options.dataset) {
    const data = options.dataset;
    if (data.obsDim !== m.observation.dim || data.actDim !== actDim) {
      throw new ConfigError(
        manifestFile,
        "observation.dim",
        "the dataset's dimensions differ from the package's",
        {
          expected: `obs ${m.observation.dim}, act ${actDim}`,
          actual: `obs ${data.obsDim}, act ${data.actDim}`,
        },
      );
    }
    // A decision transformer acts on contexts: the dataset's own, over its first episodes.
    const at = dt
      ? dtActionsAt(dt, data)
      : { actions: policyActionsAt(runner as never, data), rows: data.size };
    const policyActions = at.actions;
    gap = supportGap(policyActions, data.actions.subarray(0, at.rows * actDim), actDim);
    source = "dataset_states";
    datasetOutside = fractionOutsideQuantileBox(policyActions, actDim, pkg.support.quantiles).fraction;
  } else {
    const support = SupportRunner.fromPackage(pkg, runner);
    if (support) {
      const bcMean = new Float32Array(rollouts.steps * actDim);
      const std = new Float32Array(actDim);
      const obsDim = m.observation.dim;
      for (let i = 0; i < rollouts.steps; i++) {
        support.evaluate(
          rollouts.observations.subarray(i * obsDim, (i + 1) * obsDim),
          bcMean.subarray(i * actDim, (i + 1) * actDim),
          std,
        );
      }
      gap = supportGap(rollouts.actions, bcMean, actDim);
      source = "bc_mean_on_visited_states";
    }
  }
  return {
    robot: m.robot,
    algorithm: m.provenance.algorithm,
    episodes: rollouts.episodes.length,
    seed: options.seed,
    returns,
    lengths: rollouts.episodes.map((e) => e.length),
    terminated: rollouts.episodes.filter((e) => e.termination !== undefined).length,
    return_ci: bootstrapMeanCI(returns, { seed: options.seed, resamples }),
    normalized_score: scoreCI,
    support_gap: gap,
    support_gap_source: source,
    outside_quantile_box: fractionOutsideQuantileBox(rollouts.actions, actDim, pkg.support.quantiles)
      .fraction,
    dataset_outside_quantile_box: datasetOutside,
  };
}
