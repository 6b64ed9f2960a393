/**
 * Cal-QL — Calibrated Q-Learning (Nakamoto, Zhai, Singh, Sobol Mark, Ma, Finn, Kumar, Levine 2023),
 * https://arxiv.org/abs/2303.05479. Reference implementation read: CORL algorithms/finetune/cal_ql.py.
 *
 * CQL (cql.ts) with one change: in the conservative penalty, the Q-values of the policy's actions (sampled at
 * s and at s', evaluated at s) are replaced by max(Q(s, a), G(s)), G the state's discounted Monte-Carlo
 * return-to-go in the dataset (the sampler computes it once per dataset with the learner's γ, replay.ts).
 * The penalty then stops pushing Q below a reference policy's value, so the critic stays on the reward's
 * scale and online fine-tuning does not first unlearn an over-pessimistic Q. Uniform actions are not bounded.
 *
 * Metrics: CQL's (loss/cql is the calibrated penalty).
 * Departures from CORL: CQL's departures (fixed α_cql, no max-target backup); the sparse-reward special
 * case of CORL's return-to-go (AntMaze's constant-failure episodes) is not applied; returns-to-go are scaled
 * by the learner's reward scale, like the rewards.
 */
import { TetherError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { CQL_DEFAULTS, CqlLearner, type CqlConfig } from "./cql.js";
import type { Batch, LearnerDims } from "./learner.js";

export type CalQlConfig = CqlConfig;

/** CQL's defaults (CORL's Cal-QL uses CQL's α_cql = 5 and 10 sampled actions). */
export const CALQL_DEFAULTS: CalQlConfig = { ...CQL_DEFAULTS };

export class CalQlLearner extends CqlLearner {
  override readonly algo = "calql" as const;

  protected override lowerBound(g: Graph, n: number): Value {
    return g.reshape(g.mul(g.input("mc_returns", [n, 1]), this.dims.rewardScale), [1, n]);
  }

  protected override extraFeeds(batch: Batch): Record<string, Float32Array> {
    if (!batch.mcReturns || batch.mcReturns.length !== batch.size)
      throw new TetherError(
        "BATCH",
        `calql needs batch.mcReturns (${batch.size} returns-to-go), got ${batch.mcReturns?.length ?? "none"}`,
        { field: "mcReturns" },
      );
    return { mc_returns: batch.mcReturns };
  }
}

export function create(config: Partial<CalQlConfig>, dims: LearnerDims, rng: Rng): CalQlLearner {
  return new CalQlLearner({ ...CALQL_DEFAULTS, ...config }, dims, rng);
}
