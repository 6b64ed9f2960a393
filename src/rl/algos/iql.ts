/**
 * IQL — Implicit Q-Learning (Kostrikov, Nair, Levine 2021), https://arxiv.org/abs/2110.06169
 * Reference implementation read: CORL algorithms/offline/iql.py. Written as forward losses on the engine
 * (src/tensor): gradients, Adam and the Polyak update are derived and appended by graph-trainer.ts, and the
 * whole update is one ONNX Runtime run.
 *
 * Never queries Q on actions outside the dataset: V is fitted as an upper expectile of Q(s, a_data),
 * Q regresses r + γ V(s'), and the actor does advantage-weighted regression onto dataset actions. As in
 * CORL, all three losses read the parameters as they were before the update.
 *
 * Metrics: loss/value (expectile loss), loss/critic (sum of both Q MSEs), loss/actor (weighted squared
 * error, or weighted negative log-likelihood for the Gaussian actor), values/q (mean target min-Q on data),
 * values/v (mean V), values/adv_weight (mean exp(β·A)), values/adv_ess (the weights' effective sample size as a
 * fraction of the batch, see weightsEss).
 * Departures from CORL: the critic loss is the sum of both heads' MSEs (CORL averages them); the
 * deterministic actor's squared error is averaged over action dimensions (CORL sums them); the actor is
 * deterministic by default (`actor: "gaussian"` gives the paper's Gaussian, measured worse here:
 * docs/experiments/2026-12-02-actor-forms.md); the Gaussian's log-std is state-dependent (soft-clamped)
 * unless `logStd: "free"`; no cosine actor schedule.
 */
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { ADAM_DEFAULTS } from "../../tensor/optim.js";
import type { LogStdMode } from "../networks/actor-spec.js";
import type { ActorForm } from "../networks/actor-spec.js";
import { GraphTrainer, type GroupValues, type Optimize, type UpdateGraph } from "./graph-trainer.js";
import {
  advantageWeights,
  GraphActor,
  effectiveSampleSize,
  twinQ,
  twinQGroup,
  valueSpec,
} from "./graph-nets.js";
import {
  completeDims,
  CRITIC_DEFAULTS,
  NETWORK_DEFAULTS,
  type Batch,
  type CriticConfig,
  type Learner,
  type LearnerDims,
  type Metrics,
  type NetworkConfig,
  type StateDict,
} from "./learner.js";
import { ParamGroup, mlpGraph } from "../networks/graph-mlp.js";
import { initParams } from "../networks/mlp-spec.js";
import { batchFeeds, batchInputs, checkBatch } from "./graph-batch.js";
import { GraphLearner } from "./graph-learner.js";

export interface IqlConfig extends NetworkConfig, CriticConfig {
  /** τ of the expectile loss for V: 0.5 is the mean (SARSA), →1 approaches max over data actions. 0.7 for locomotion. */
  expectile: number;
  /**
   * Inverse temperature β of the advantage weights: small β → behaviour cloning, big β → greedy on Q.
   * 3 (the paper's locomotion value) turns pendulum's medium-replay data into a policy where 0.1 stays at
   * the data's level; on expert data, whose narrow return range makes the reward scale large, β·A saturates
   * the weights and 0.1 does better, so use 0.1 for logs of one good controller. The critic does not depend
   * on β. A robot can set its own in robot.yaml `training.iql` (pusher: 0.1).
   * Figures: docs/experiments/2026-12-03-temperatures.md.
   */
  beta: number;
  /** Rewards are multiplied by 1000 / (max episode return - min episode return) (the paper, for locomotion). */
  normalizeRewards: boolean;
  /**
   * The Gaussian actor's log-std: "state" computes it from the state (our original departure), "free" learns
   * one value per action dimension (the IQL paper, CORL's GaussianPolicy). Both soft-clamped. The two were
   * within seed noise with advantage weights, so "state" stays; with unit weights "free" was clearly better
   * (docs/experiments/2026-12-02-actor-forms.md).
   */
  logStd: LogStdMode;
  /**
   * Policy extraction: "gaussian" maximizes the weighted likelihood (the paper), "deterministic" minimizes
   * the weighted squared error to dataset actions (CORL's iql_deterministic: BC's loss when every weight is
   * 1). "deterministic" is the default: it scored better or equal in most quality cells, most on expert
   * data (docs/experiments/2026-12-02-actor-forms.md). `logStd` only applies to "gaussian".
   */
  actor: ActorForm;
}

export const IQL_DEFAULTS: IqlConfig = {
  ...NETWORK_DEFAULTS,
  ...CRITIC_DEFAULTS,
  expectile: 0.7,
  beta: 3.0,
  normalizeRewards: true,
  logStd: "state",
  actor: "deterministic",
};

/** Expectile regression: mean(|τ - 1(u < 0)| · u²) of the residuals u = Q - V. */
export function asymmetricL2(g: Graph, u: Value, expectile: number): Value {
  const weight = g.add(expectile, g.mul(1 - 2 * expectile, g.lessMask(u, 0)));
  return g.mean(g.mul(weight, g.square(u)));
}

export class IqlLearner extends GraphLearner implements Learner {
  readonly algo = "iql" as const;
  readonly dims: Required<LearnerDims>;
  readonly actor: GraphActor;
  protected readonly trainer: GraphTrainer;

  constructor(
    readonly config: IqlConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    super();
    this.dims = completeDims(dims);
    const { obsDim, actDim } = this.dims;
    const adam = { ...ADAM_DEFAULTS, lr: config.lr };
    // The same draws, in the same order, as the earlier tfjs learner (seeds carry over): twin Q, V, actor.
    const q = twinQGroup(this.dims, config, config.lr, rng);
    const v = new ParamGroup("v", [valueSpec(obsDim, config.hidden)]);
    const vInit = initParams(v.specs, rng.fork());
    this.actor = new GraphActor(config, obsDim, actDim);
    const actorInit = this.actor.init(rng.fork());
    this.trainer = new GraphTrainer(
      "iql",
      [q, { group: v, init: vInit, adam }, { group: this.actor.group, init: actorInit, adam }],
      (g, nets, batchSize, optimize) => this.buildUpdate(g, nets, batchSize, optimize),
    );
  }

  /** One update as forward losses (CORL's _update_v, _update_policy, _update_q). */
  private buildUpdate(
    g: Graph,
    nets: Record<string, GroupValues>,
    n: number,
    optimize: Optimize,
  ): UpdateGraph {
    const { obsDim } = this.dims;
    const c = this.config;
    const { obs, nextObs, act, rew, notDone } = batchInputs(g, n, this.dims);

    // V: expectile regression toward min target-Q(s, a_data).
    const [tq1, tq2] = twinQ(g, nets.q, obs, act, "target", c.criticLayerNorm);
    const targetQ = g.min(tq1, tq2);
    const vs = mlpGraph(g, valueSpec(obsDim, c.hidden), nets.v.layers(0), obs);
    const adv = g.sub(targetQ, vs);
    const valueLoss = asymmetricL2(g, adv, c.expectile);

    // Actor: advantage-weighted regression, w = min(exp(β·A), EXP_ADV_MAX), no gradient into V.
    const weights = advantageWeights(g, g.mul(g.stopGradient(adv), c.beta));
    const actorLoss = this.actor.weightedLoss(g, nets[this.actor.group.name], obs, act, weights);

    // Q: both heads regress r + γ(1 - d) V(s').
    const nextV = mlpGraph(g, valueSpec(obsDim, c.hidden), nets.v.layers(0), nextObs);
    const y = g.stopGradient(g.add(rew, g.mul(g.mul(notDone, c.discount), nextV)));
    const [q1, q2] = twinQ(g, nets.q, obs, act, "params", c.criticLayerNorm);
    const criticLoss = g.add(g.mean(g.square(g.sub(q1, y))), g.mean(g.square(g.sub(q2, y))));

    // All three read the pre-update parameters, so the steps can be taken in any order.
    optimize("v", valueLoss);
    optimize(this.actor.group.name, actorLoss);
    optimize("q", criticLoss);
    return {
      metrics: {
        "loss/value": valueLoss,
        "loss/critic": criticLoss,
        "loss/actor": actorLoss,
        "values/q": g.mean(targetQ),
        "values/v": g.mean(vs),
        "values/adv_weight": g.mean(weights),
        "values/adv_ess": effectiveSampleSize(g, weights),
      },
      polyak: { q: c.tau },
    };
  }

  update(batch: Batch): Metrics {
    checkBatch(batch, this.dims);
    const metrics = this.trainer.update(batchFeeds(batch), batch.size);
    this.step += 1;
    return metrics;
  }

  override loadStateDict(state: StateDict): void {
    this.actor.checkLoadable(state.arrays["actor/params"]);
    super.loadStateDict(state);
  }
}

export function create(config: Partial<IqlConfig>, dims: LearnerDims, rng: Rng): IqlLearner {
  return new IqlLearner({ ...IQL_DEFAULTS, ...config }, dims, rng);
}
