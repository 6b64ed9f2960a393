/**
 * AWAC — Advantage-Weighted Actor-Critic (Nair, Gupta, Dalal, Levine 2020), https://arxiv.org/abs/2006.09359
 * Reference implementation read: CORL algorithms/offline/awac.py. Written as forward losses on the engine
 * (src/tensor); the same learner fine-tunes online.
 *
 * Critic: twin Q with targets, y = r + γ(1-d) min Q'(s', a'), a' ~ π(·|s').
 * Actor: weighted regression onto dataset actions (likelihood or squared error, `actor`),
 * w = min(exp(A/λ), 100), A = Q(s, a) - Q(s, a~π(s)), with the critic as it is after this update's step
 * (CORL's order: _update_critic, then _update_actor).
 *
 * Metrics: loss/critic, loss/actor, values/q (mean min-Q on data), values/adv_weight (mean w), values/adv_ess
 * (the weights' effective sample size as a fraction of the batch).
 * Departures from CORL: the actor is deterministic by default (`actor: "gaussian"` gives CORL's
 * N(tanh(mean), σ), with a state-dependent soft-clamped log-std unless `logStd: "free"`; measured worse here,
 * docs/experiments/2026-12-02-actor-forms.md), the advantage uses min(Q1, Q2) of the online critics, the
 * critic loss is the sum of both heads' MSEs. Rewards are normalized by the dataset's return range (CORL's
 * `normalize_reward`, off there by default): λ acts on Q in reward units, so without it λ means something
 * else on every robot (pendulum rewards in [0, 1] gave weights of 1.001, i.e. plain BC).
 */
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import type { LogStdMode } from "../networks/actor-spec.js";
import type { ActorForm } from "../networks/actor-spec.js";
import { batchFeeds, batchInputs, checkBatch } from "./graph-batch.js";
import { GraphLearner } from "./graph-learner.js";
import {
  advantageWeights,
  effectiveSampleSize,
  gaussianHead,
  twinQ,
  twinQActor,
  type GraphActor,
} from "./graph-nets.js";
import { GraphTrainer, type GroupValues, type Optimize, type UpdateGraph } from "./graph-trainer.js";
import {
  completeDims,
  CRITIC_DEFAULTS,
  loadRng,
  NETWORK_DEFAULTS,
  saveRng,
  type Batch,
  type CriticConfig,
  type Learner,
  type LearnerDims,
  type Metrics,
  type NetworkConfig,
  type StateDict,
} from "./learner.js";

export interface AwacConfig extends NetworkConfig, CriticConfig {
  /**
   * λ, temperature of the advantage weights exp(A/λ): small λ → greedy on Q, big λ → behaviour cloning.
   * 3 here, where CORL's D4RL medium-replay configs use 1/3 (1/β of IQL's β = 3): measured better on every
   * medium dataset and worse only on reacher2 medium-replay and expert. Our critic sees 10k updates where
   * CORL's sees 1M; why the softer weights win here is not established. A robot can set its own in
   * robot.yaml `training.awac` (pusher: 10). Figures: docs/experiments/2026-12-03-temperatures.md.
   */
  lambda: number;
  /** Rewards are multiplied by 1000 / (max episode return - min episode return), as IQL's, so λ means the same on every robot. */
  normalizeRewards: boolean;
  /**
   * The Gaussian actor's log-std: "state" computes it from the state (our original departure), "free" learns
   * one value per action dimension (the IQL paper, CORL's GaussianPolicy). Both soft-clamped. The two were
   * within seed noise with advantage weights, so "state" stays; with unit weights (λ = 1e6) "free" was
   * clearly better (docs/experiments/2026-12-02-actor-forms.md).
   */
  logStd: LogStdMode;
  /**
   * Policy extraction: "gaussian" maximizes the weighted likelihood (the paper); "deterministic" minimizes
   * the weighted squared error (BC's loss when every weight is 1), and the critic then evaluates π(s)
   * itself where the Gaussian form samples a ~ π(·|s). "deterministic" is the default: no lower in any
   * quality cell, and reacher2-expert no longer collapses (docs/experiments/2026-12-02-actor-forms.md).
   * Online fine-tuning explores with its own Gaussian noise, so it does not need the Gaussian form.
   * `logStd` only applies to "gaussian".
   */
  actor: ActorForm;
}

export const AWAC_DEFAULTS: AwacConfig = {
  ...NETWORK_DEFAULTS,
  ...CRITIC_DEFAULTS,
  lambda: 3,
  normalizeRewards: true,
  logStd: "state",
  actor: "deterministic",
};

export class AwacLearner extends GraphLearner implements Learner {
  readonly algo = "awac" as const;
  readonly dims: Required<LearnerDims>;
  readonly actor: GraphActor;
  protected readonly trainer: GraphTrainer;
  private noiseRng: Rng;

  constructor(
    readonly config: AwacConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    super();
    this.dims = completeDims(dims);
    // The draws of the earlier tfjs learner, in its order (checkpoints and seeds carry over): twin Q, actor, then the noise stream.
    const nets = twinQActor(
      this.dims,
      { ...config, criticLr: config.lr, actorLr: config.lr, actorTarget: false },
      rng,
    );
    this.actor = nets.actor;
    this.noiseRng = rng.fork();
    this.trainer = new GraphTrainer("awac", nets.groups, (g, nets, n, optimize) =>
      this.buildUpdate(g, nets, n, optimize),
    );
  }

  private get gaussian(): boolean {
    return this.actor.kind === "tanh-gaussian";
  }

  /** a ~ N(tanh(mean), σ) clipped to [-1, 1] with fed standard normal noise; π(s) for the deterministic actor. */
  private sample(g: Graph, actor: GroupValues, obs: Value, noise: string): Value {
    if (!this.gaussian) return this.actor.action(g, actor, obs);
    const head = gaussianHead(g, this.actor.forward(g, actor, obs), this.dims.actDim);
    const eps = g.input(noise, [obs.shape[0], this.dims.actDim]);
    return g.clip(g.add(g.tanh(head.mean), g.mul(g.exp(head.logStd), eps)), -1, 1);
  }

  private buildUpdate(
    g: Graph,
    nets: Record<string, GroupValues>,
    n: number,
    optimize: Optimize,
  ): UpdateGraph {
    const c = this.config;
    const actor = nets[this.actor.group.name];
    const { obs, nextObs, act, rew, notDone } = batchInputs(g, n, this.dims);

    // Critic (CORL's _update_critic): both heads regress r + γ(1 - d) min Q'(s', a' ~ π(s')).
    const [t1, t2] = twinQ(
      g,
      nets.q,
      nextObs,
      this.sample(g, actor, nextObs, "noise_next"),
      "target",
      c.criticLayerNorm,
    );
    const y = g.stopGradient(g.add(rew, g.mul(g.mul(notDone, c.discount), g.min(t1, t2))));
    const [q1, q2] = twinQ(g, nets.q, obs, act, "params", c.criticLayerNorm);
    const criticLoss = g.add(g.mean(g.square(g.sub(q1, y))), g.mean(g.square(g.sub(q2, y))));
    const stepped = optimize("q", criticLoss);

    // Actor (CORL's _update_actor): A = min Q(s, a) - min Q(s, π(s)) on the stepped critic.
    const [p1, p2] = twinQ(
      g,
      stepped,
      obs,
      this.sample(g, actor, obs, "noise_pi"),
      "params",
      c.criticLayerNorm,
    );
    const [d1, d2] = twinQ(g, stepped, obs, act, "params", c.criticLayerNorm);
    const qData = g.min(d1, d2);
    const adv = g.stopGradient(g.sub(qData, g.min(p1, p2)));
    const weights = advantageWeights(g, g.div(adv, c.lambda));
    const actorLoss = this.actor.weightedLoss(g, actor, obs, act, weights);
    optimize(this.actor.group.name, actorLoss);
    return {
      metrics: {
        "loss/critic": criticLoss,
        "loss/actor": actorLoss,
        "values/q": g.mean(qData),
        "values/adv_weight": g.mean(weights),
        "values/adv_ess": effectiveSampleSize(g, weights),
      },
      polyak: { q: c.tau },
    };
  }

  update(batch: Batch): Metrics {
    checkBatch(batch, this.dims);
    const feeds = batchFeeds(batch);
    if (this.gaussian) {
      // The earlier tfjs learner's draw order (kept so seeds carry over): the next-state sample first, then the current-state one.
      for (const name of ["noise_next", "noise_pi"]) {
        const noise = new Float32Array(batch.size * this.dims.actDim);
        for (let i = 0; i < noise.length; i++) noise[i] = this.noiseRng.normal();
        feeds[name] = noise;
      }
    }
    const metrics = this.trainer.update(feeds, batch.size);
    this.step += 1;
    return metrics;
  }

  override stateDict(): StateDict {
    const state = super.stateDict();
    saveRng(state, "noise_rng", this.noiseRng);
    return state;
  }

  override loadStateDict(state: StateDict): void {
    this.actor.checkLoadable(state.arrays["actor/params"]);
    super.loadStateDict(state);
    this.noiseRng = loadRng(state, "noise_rng", this.noiseRng);
  }
}

export function create(config: Partial<AwacConfig>, dims: LearnerDims, rng: Rng): AwacLearner {
  return new AwacLearner({ ...AWAC_DEFAULTS, ...config }, dims, rng);
}
