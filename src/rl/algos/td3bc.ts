/**
 * TD3+BC (Fujimoto & Gu 2021), https://arxiv.org/abs/2106.06860
 * Reference implementation read: CORL algorithms/offline/td3_bc.py. Written as forward losses on the engine
 * (src/tensor): an update without the actor step and one with it (every `policyFreq` updates) are two
 * variants of the same program over the same state.
 *
 * TD3 with one change to the actor: maximize λ·Q(s, π(s)) - (π(s) - a)², λ = α / mean|Q(s, π(s))|, so the
 * Q term's scale does not depend on the reward scale. Observations are normalized (as the paper does).
 * As in CORL, the actor's Q1 is the critic after this update's step.
 *
 * Metrics: loss/critic (sum of both Q MSEs), loss/actor (-λQ + BC, logged on actor steps), loss/bc
 * (the BC part), values/q (mean Q1 on data), values/lambda.
 * Departures from CORL: the critic loss is the sum of both heads' MSEs (CORL's is the same sum); the BC
 * term is averaged over action dimensions (CORL: F.mse_loss, the same).
 */
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { batchFeeds, batchInputs, checkBatch, clippedNoise } from "./graph-batch.js";
import { GraphLearner } from "./graph-learner.js";
import { twinQ, twinQActor, type GraphActor } from "./graph-nets.js";
import {
  GraphTrainer,
  targetView,
  type GroupValues,
  type Optimize,
  type UpdateGraph,
} from "./graph-trainer.js";
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

export interface Td3BcConfig extends NetworkConfig, CriticConfig {
  /** α: weight of the Q term against BC (λ = α / mean|Q|). 2.5 in the paper. */
  alpha: number;
  /** Std of the Gaussian target policy smoothing noise (action units in [-1, 1]). */
  policyNoise: number;
  /** Target smoothing noise is clipped to ±noiseClip. */
  noiseClip: number;
  /** The actor and targets update every `policyFreq` critic updates (TD3's delayed updates). */
  policyFreq: number;
}

export const TD3BC_DEFAULTS: Td3BcConfig = {
  ...NETWORK_DEFAULTS,
  ...CRITIC_DEFAULTS,
  alpha: 2.5,
  policyNoise: 0.2,
  noiseClip: 0.5,
  policyFreq: 2,
};

export class Td3BcLearner extends GraphLearner implements Learner {
  readonly algo = "td3bc" as const;
  readonly dims: Required<LearnerDims>;
  readonly actor: GraphActor;
  protected readonly trainer: GraphTrainer;
  private noiseRng: Rng;

  constructor(
    readonly config: Td3BcConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    super();
    this.dims = completeDims(dims);
    // The draws of the earlier tfjs learner, in its order (checkpoints and seeds carry over): twin Q, actor, then the noise stream.
    const nets = twinQActor(
      this.dims,
      {
        ...config,
        actor: "deterministic",
        logStd: "state",
        criticLr: config.lr,
        actorLr: config.lr,
        actorTarget: true,
      },
      rng,
    );
    this.actor = nets.actor;
    this.noiseRng = rng.fork();
    this.trainer = new GraphTrainer("td3bc", nets.groups, (g, nets, n, optimize, variant) =>
      this.buildUpdate(g, nets, n, optimize, variant === "actor"),
    );
  }

  private buildUpdate(
    g: Graph,
    nets: Record<string, GroupValues>,
    n: number,
    optimize: Optimize,
    actorStep: boolean,
  ): UpdateGraph {
    const { actDim } = this.dims;
    const c = this.config;
    const actor = nets[this.actor.group.name];
    const { obs, nextObs, act, rew, notDone } = batchInputs(g, n, this.dims);
    const noise: Value = g.input("target_noise", [n, actDim]);

    // Critic: y = r + γ(1-d) min Q'(s', clip(π'(s') + clip(ε), -1, 1)).
    const nextAct = g.clip(g.add(this.actor.action(g, targetView(actor), nextObs), noise), -1, 1);
    const [t1, t2] = twinQ(g, nets.q, nextObs, nextAct, "target", c.criticLayerNorm);
    const y = g.stopGradient(g.add(rew, g.mul(g.mul(notDone, c.discount), g.min(t1, t2))));
    const [q1, q2] = twinQ(g, nets.q, obs, act, "params", c.criticLayerNorm);
    const criticLoss = g.add(g.mean(g.square(g.sub(q1, y))), g.mean(g.square(g.sub(q2, y))));
    const stepped = optimize("q", criticLoss);
    const metrics: Record<string, Value> = { "loss/critic": criticLoss, "values/q": g.mean(q1) };
    if (!actorStep) return { metrics };

    // Actor: L = -λ mean Q1(s, π(s)) + mean((π(s) - a)²), λ = α / mean|Q1| as a constant.
    const pi = this.actor.action(g, actor, obs);
    const [qPi] = twinQ(g, stepped, obs, pi, "params", c.criticLayerNorm);
    const lambda = g.stopGradient(g.div(c.alpha, g.add(g.mean(g.abs(qPi)), 1e-8)));
    const bcLoss = g.mean(g.square(g.sub(pi, act)));
    const actorLoss = g.add(g.neg(g.mul(lambda, g.mean(qPi))), bcLoss);
    optimize(this.actor.group.name, actorLoss);
    return {
      metrics: { ...metrics, "loss/actor": actorLoss, "loss/bc": bcLoss, "values/lambda": lambda },
      polyak: { q: c.tau, [this.actor.group.name]: c.tau },
    };
  }

  update(batch: Batch): Metrics {
    checkBatch(batch, this.dims);
    const { policyNoise, noiseClip } = this.config;
    const noise = clippedNoise(this.noiseRng, batch.size * this.dims.actDim, policyNoise, noiseClip);
    const actorStep = (this.step + 1) % this.config.policyFreq === 0;
    const metrics = this.trainer.update(
      { ...batchFeeds(batch), target_noise: noise },
      batch.size,
      actorStep ? "actor" : "critic",
    );
    this.step += 1;
    return metrics;
  }

  override stateDict(): StateDict {
    const state = super.stateDict();
    saveRng(state, "noise_rng", this.noiseRng);
    return state;
  }

  override loadStateDict(state: StateDict): void {
    super.loadStateDict(state);
    this.noiseRng = loadRng(state, "noise_rng", this.noiseRng);
  }
}

export function create(config: Partial<Td3BcConfig>, dims: LearnerDims, rng: Rng): Td3BcLearner {
  return new Td3BcLearner({ ...TD3BC_DEFAULTS, ...config }, dims, rng);
}
