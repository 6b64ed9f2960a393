/**
 * offline-eval: no simulator, no robot. At the dataset's states: the support gap (mean distance between the
 * policy's and the dataset's actions), the fraction of policy actions outside the dataset's 0.5%–99.5%
 * quantile box, and an FQE estimate of the policy's discounted return.
 */
import { DtRunner } from "../../policy/dt-runner.js";
import { createPackageRunner } from "../../policy/package-runner.js";
import { dtActionsAt, policyActionsAt } from "../../rl/diagnostics/policy-actions.js";
import { fractionOutsideQuantileBox, supportGap } from "../../rl/diagnostics/support-gap.js";
import { behaviorScore, type StageContext } from "./context.js";
import { thin } from "./shielded-episodes.js";
import type { StageRunResult } from "./types.js";

export async function runOfflineEval(ctx: StageContext): Promise<StageRunResult> {
  const runner = createPackageRunner(ctx.pkg);
  const full = ctx.dataset;
  const actDim = full.actDim;
  // A decision transformer acts on the dataset's own contexts, over its first episodes (dtActionsAt).
  const at =
    runner instanceof DtRunner
      ? dtActionsAt(runner, full)
      : { actions: policyActionsAt(runner, full), rows: full.size };
  const data = at.rows === full.size ? full : { ...full, size: at.rows };
  const actions = at.actions;
  const gap = supportGap(actions, data.actions.subarray(0, at.rows * actDim), actDim);
  const outside = fractionOutsideQuantileBox(actions, actDim, ctx.pkg.support.quantiles).fraction;
  const perState: number[] = [];
  for (let r = 0; r < data.size; r++) {
    let s = 0;
    for (let j = 0; j < actDim; j++) {
      const d = actions[r * actDim + j] - data.actions[r * actDim + j];
      s += d * d;
    }
    perState.push(Math.sqrt(s));
  }
  const details: StageRunResult["details"] = { outside_quantile_box: outside, fqe_initial_value: null };
  // FQE evaluates a policy of the state alone; a decision transformer's action depends on its context.
  if (ctx.fqeSteps > 0 && !(runner instanceof DtRunner)) {
    const { runFqe } = await import("../../rl/diagnostics/fqe.js");
    const batch = (obs: Float32Array): Float32Array =>
      policyActionsAt(runner, { size: obs.length / data.obsDim, obsDim: data.obsDim, observations: obs });
    const fqe = runFqe(
      data,
      batch,
      { steps: ctx.fqeSteps, hidden: [64, 64], seed: ctx.seed },
      (step, total) => ctx.onProgress?.(step, total),
    );
    details.fqe_initial_value = fqe.initial_value;
    details.fqe_bellman_loss = fqe.bellman_loss;
  }
  const behavior = behaviorScore(ctx);
  return {
    evidence: { support_gap: gap, estops: 0, behavior_score: behavior?.mean },
    events: [],
    details,
    gapSamples: thin(perState, 2000),
    baselines: behavior ? { behavior } : undefined,
    version: ctx.version,
  };
}
