/**
 * AWAC on tfjs with hand-written gradients: what awac.ts (the engine learner) was checked against in
 * test/rl/algos/engine-match.test.ts. It leaves with tfjs; config and defaults live in awac.ts.
 *
 * AWAC — Advantage-Weighted Actor-Critic (Nair, Gupta, Dalal, Levine 2020), https://arxiv.org/abs/2006.09359
 * Reference implementation read: CORL algorithms/offline/awac.py. The same learner fine-tunes online.
 *
 * Critic: twin Q with targets, y = r + γ(1-d) min Q'(s', a'), a' ~ π(·|s').
 * Actor: weighted regression onto dataset actions (likelihood or squared error, `actor`),
 * w = min(exp(A/λ), 100), A = Q(s, a) - Q(s, a~π(s)).
 *
 * Metrics: loss/critic, loss/actor, values/q (mean min-Q on data), values/adv_weight (mean w), values/adv_ess
 * (the weights' effective sample size as a fraction of the batch).
 * Departures from CORL: the actor is deterministic by default (`actor: "gaussian"` gives CORL's
 * N(tanh(mean), σ), with a state-dependent soft-clamped log-std unless `logStd: "free"`; measured worse here,
 * see AwacConfig.actor), the advantage uses min(Q1, Q2) of the online critics. Rewards are normalized by
 * the dataset's return range (CORL's `normalize_reward`, off there by default): λ acts on Q in reward units,
 * so without it λ means something else on every robot (pendulum rewards in [0, 1] gave weights of 1.001,
 * i.e. plain BC).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import { GaussianActor } from "../networks/actor.js";
import { ADAM_DEFAULTS } from "../networks/adam.js";
import { TwinQ } from "../networks/critic.js";
import type { ActorWeights } from "../networks/weights-format.js";
import {
  clippedExpWeights,
  createWeightedActor,
  weightsEss,
  type WeightedActor,
} from "../networks/weighted-actor.js";
import {
  actWith,
  batchTensors,
  completeDims,
  loadModule,
  readMetrics,
  saveModule,
  loadRng,
  saveRng,
  type Batch,
  type Learner,
  type LearnerDims,
  type Metrics,
  type StateDict,
  exportActor,
} from "./learner.js";
import { AWAC_DEFAULTS, type AwacConfig } from "./awac.js";

/** AWAC's actor weights w = min(exp(A/λ), EXP_ADV_MAX). Inside tf.tidy. */
export function advantageWeights(adv: tf.Tensor2D, lambda: number): tf.Tensor2D {
  return clippedExpWeights(tf.div(adv, lambda) as tf.Tensor2D);
}

export class TfjsAwacLearner implements Learner {
  readonly algo = "awac" as const;
  readonly dims: Required<LearnerDims>;
  readonly q: TwinQ;
  readonly actor: WeightedActor;
  step = 0;
  private noiseRng: Rng;

  constructor(
    readonly config: AwacConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    this.dims = completeDims(dims);
    const adam = { ...ADAM_DEFAULTS, lr: config.lr };
    this.q = new TwinQ(dims.obsDim, dims.actDim, config.hidden, rng.fork(), adam);
    this.actor = createWeightedActor(config, dims.obsDim, dims.actDim, rng.fork(), adam);
    this.noiseRng = rng.fork();
  }

  /**
   * a ~ N(tanh(mean), σ) clipped to [-1, 1], with noise from our seeded stream; π(s) for the deterministic
   * actor. Inside tf.tidy.
   */
  private sample(obs: tf.Tensor2D): tf.Tensor2D {
    const net = this.actor.net;
    if (!(net instanceof GaussianActor)) return net.act(obs);
    const n = obs.shape[0];
    const noise = new Float32Array(n * this.dims.actDim);
    for (let i = 0; i < noise.length; i++) noise[i] = this.noiseRng.normal();
    const pi = net.forward(obs);
    const a = tf.add(tf.tanh(pi.mean), tf.mul(tf.exp(pi.logStd), tf.tensor2d(noise, [n, this.dims.actDim])));
    return tf.clipByValue(a, -1, 1) as tf.Tensor2D;
  }

  update(batch: Batch): Metrics {
    const n = batch.size;
    const metrics = tf.tidy(() => {
      const b = batchTensors(batch, this.dims, this.config.discount);
      // Critic.
      const y = tf.add(b.rew, tf.mul(b.discount, this.q.targetMin(b.nextObs, this.sample(b.nextObs))));
      const qf = this.q.forward(b.obs, b.act);
      const e1 = tf.sub(qf.q1, y);
      const e2 = tf.sub(qf.q2, y);
      const criticLoss = tf.add(tf.mean(tf.square(e1)), tf.mean(tf.square(e2)));
      this.q.optimizer.apply(
        this.q.backward(qf, tf.mul(e1, 2 / n) as tf.Tensor2D, tf.mul(e2, 2 / n) as tf.Tensor2D).grad,
      );
      // Actor: A = min Q(s, a) - min Q(s, a~π(s)), w = min(exp(A/λ), max), weighted regression onto a.
      const [q1Pi, q2Pi] = this.q.evaluate(b.obs, this.sample(b.obs));
      const [q1, q2] = this.q.evaluate(b.obs, b.act);
      const qData = tf.minimum(q1, q2);
      const adv = tf.sub(qData, tf.minimum(q1Pi, q2Pi));
      const w = advantageWeights(adv as tf.Tensor2D, this.config.lambda);
      const actorLoss = this.actor.step(this.actor.forward(b.obs), b.act, w);
      this.q.softUpdate(this.config.tau);
      return readMetrics({
        "loss/critic": criticLoss,
        "loss/actor": actorLoss,
        "values/q": tf.mean(qData),
        "values/adv_weight": tf.mean(w),
        "values/adv_ess": weightsEss(w),
      });
    });
    this.step += 1;
    return metrics;
  }

  act(observations: Float32Array): Float32Array {
    return actWith(this.dims, observations, (obs) => this.actor.act(obs));
  }

  stateDict(): StateDict {
    const state: StateDict = { algo: this.algo, step: this.step, arrays: {}, scalars: {} };
    saveModule(state, "q", this.q, { target: this.q.target });
    saveModule(state, "actor", this.actor.net);
    saveRng(state, "noise_rng", this.noiseRng);
    return state;
  }

  loadStateDict(state: StateDict): void {
    this.actor.checkLoadable(state.arrays["actor/params"]);
    loadModule(state, "q", this.q, { target: this.q.target });
    loadModule(state, "actor", this.actor.net);
    this.noiseRng = loadRng(state, "noise_rng", this.noiseRng);
    this.step = state.step;
  }

  actorWeights(): ActorWeights {
    return exportActor(this.dims, this.actor.net);
  }

  dispose(): void {
    this.q.dispose();
    this.actor.net.dispose();
  }
}

export function createTfjs(config: Partial<AwacConfig>, dims: LearnerDims, rng: Rng): TfjsAwacLearner {
  return new TfjsAwacLearner({ ...AWAC_DEFAULTS, ...config }, dims, rng);
}
