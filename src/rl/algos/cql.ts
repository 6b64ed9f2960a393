/**
 * CQL — Conservative Q-Learning (Kumar, Zhou, Tucker, Levine 2020), https://arxiv.org/abs/2006.04779
 * Reference implementations read: CORL algorithms/offline/cql.py, d3rlpy CQL (CQL(H), SAC backbone).
 *
 * SAC with a conservative penalty on each critic:
 *   α_cql · ( mean_s logsumexp_j [Q(s, a_j) - log μ(a_j)] - mean Q(s, a_data) )
 * over n uniform actions (μ = 2^-A), n policy actions at s and n policy actions at s' (μ = π, importance
 * sampling as in the paper's CQL(H)). Pushes Q down on actions the data never showed.
 *
 * Metrics: loss/critic (TD + penalty, both heads), loss/cql (penalty before α_cql), loss/actor (SAC),
 * loss/temperature, values/q (mean Q1 on data), values/temperature (SAC entropy temperature).
 * Departures: no Lagrangian α_cql (fixed weight, CORL's default), no entropy term in the backup (CORL default).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import { GaussianActor, squashedSample } from "../networks/actor.js";
import { ADAM_DEFAULTS } from "../networks/adam.js";
import { TwinQ } from "../networks/critic.js";
import type { ActorWeights } from "../networks/weights-format.js";
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
  NETWORK_DEFAULTS,
  CRITIC_DEFAULTS,
  type NetworkConfig,
  type CriticConfig,
} from "./learner.js";

/**
 * The CQL(H) penalty for one critic: mean_s logsumexp_j (Q(s, a_j) - log μ(a_j)) - mean Q(s, a_data), with
 * sampled Q values laid out [samples, batch]. `dSampled` is α · softmax_j / n as a [samples·batch, 1]
 * column (the gradient of α · penalty w.r.t. each sampled Q). Inside tf.tidy.
 */
export function conservativePenalty(
  qSampled: tf.Tensor2D,
  logDensity: tf.Tensor2D,
  qData: tf.Tensor2D,
  alpha: number,
): { value: tf.Scalar; dSampled: tf.Tensor2D } {
  const [samples, n] = qSampled.shape;
  const logits = tf.sub(qSampled, logDensity);
  const lse = tf.logSumExp(logits, 0, true);
  const softmax = tf.exp(tf.sub(logits, lse));
  return {
    value: tf.sub(tf.mean(lse), tf.mean(qData)) as tf.Scalar,
    dSampled: tf.reshape(tf.mul(softmax, alpha / n), [samples * n, 1]) as tf.Tensor2D,
  };
}

export interface CqlConfig extends Pick<NetworkConfig, "hidden">, CriticConfig {
  /** Critic Adam learning rate. */
  criticLr: number;
  /** Actor Adam learning rate (1e-4 in the paper and d3rlpy). */
  actorLr: number;
  /** Learning rate of log(temperature). */
  temperatureLr: number;
  /** Initial SAC entropy temperature. */
  initialTemperature: number;
  /** Target entropy for the temperature; default -actDim (SAC). */
  targetEntropy?: number;
  /** α_cql: weight of the conservative penalty (5.0 in d3rlpy; CORL uses 10 for locomotion). */
  alpha: number;
  /** Actions sampled per state for each of the three logsumexp sources (10 in the paper). */
  sampledActions: number;
}

export const CQL_DEFAULTS: CqlConfig = {
  hidden: NETWORK_DEFAULTS.hidden,
  ...CRITIC_DEFAULTS,
  criticLr: NETWORK_DEFAULTS.lr,
  actorLr: 1e-4,
  temperatureLr: 1e-4,
  initialTemperature: 1.0,
  alpha: 5.0,
  sampledActions: 10,
};

export class CqlLearner implements Learner {
  readonly algo = "cql" as const;
  readonly dims: Required<LearnerDims>;
  readonly q: TwinQ;
  readonly actor: GaussianActor;
  step = 0;
  /** log of the SAC temperature and its Adam moments (a scalar, kept in plain numbers). */
  logTemperature: number;
  private tempAdam = { m: 0, v: 0, t: 0 };
  private rng: Rng;
  private readonly targetEntropy: number;

  constructor(
    readonly config: CqlConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    this.dims = completeDims(dims);
    this.q = new TwinQ(dims.obsDim, dims.actDim, config.hidden, rng.fork(), {
      ...ADAM_DEFAULTS,
      lr: config.criticLr,
    });
    this.actor = new GaussianActor(dims.obsDim, dims.actDim, config.hidden, rng.fork(), {
      ...ADAM_DEFAULTS,
      lr: config.actorLr,
    });
    this.rng = rng.fork();
    this.logTemperature = Math.log(config.initialTemperature);
    this.targetEntropy = config.targetEntropy ?? -dims.actDim;
  }

  private normals(rows: number): tf.Tensor2D {
    const out = new Float32Array(rows * this.dims.actDim);
    for (let i = 0; i < out.length; i++) out[i] = this.rng.normal();
    return tf.tensor2d(out, [rows, this.dims.actDim]);
  }

  /** Policy samples (no gradient) and their log-densities. Inside tf.tidy. */
  private policySample(obs: tf.Tensor2D): { action: tf.Tensor2D; logProb: tf.Tensor2D } {
    const out = this.actor.forward(obs);
    const s = squashedSample(out, this.normals(obs.shape[0]));
    return { action: s.action, logProb: s.logProb };
  }

  update(batch: Batch): Metrics {
    const n = batch.size;
    const actDim = this.dims.actDim;
    const k = this.config.sampledActions;
    const temperature = Math.exp(this.logTemperature);
    let meanLogProb = 0;
    const metrics = tf.tidy(() => {
      const b = batchTensors(batch, this.dims, this.config.discount);

      // Actor (SAC): L = mean(T·log π(a|s) - min Q(s, a)), a = tanh(mean + σε) reparameterized.
      const pi = this.actor.forward(b.obs);
      const s = squashedSample(pi, this.normals(n));
      const qPi = this.q.forward(b.obs, s.action);
      const q1Smaller = tf.lessEqual(qPi.q1, qPi.q2);
      const minQ = tf.minimum(qPi.q1, qPi.q2);
      const actorLoss = tf.mean(tf.sub(tf.mul(s.logProb, temperature), minQ));
      const dq1 = tf.div(tf.cast(q1Smaller, "float32"), -n) as tf.Tensor2D;
      const dq2 = tf.div(tf.cast(tf.logicalNot(q1Smaller), "float32"), -n) as tf.Tensor2D;
      const dA = this.q.actionGradient(qPi, dq1, dq2);
      // a = tanh(u): du = dA·(1-a²) + T·2a/n (from -log(1-a²)); dMean = du; dLogStd = du·σε - T/n.
      const du = tf.add(
        tf.mul(dA, tf.sub(1, tf.square(s.action))),
        tf.mul(s.action, (2 * temperature) / n),
      ) as tf.Tensor2D;
      const dLogStd = tf.sub(tf.mul(du, s.scaledNoise), temperature / n) as tf.Tensor2D;
      this.actor.optimizer.apply(this.actor.backward(pi, du, dLogStd));
      const logProbMean = tf.mean(s.logProb);

      // Critic TD target with a' ~ π(s').
      const next = this.policySample(b.nextObs);
      const y = tf.add(b.rew, tf.mul(b.discount, this.q.targetMin(b.nextObs, next.action)));
      const qf = this.q.forward(b.obs, b.act);
      const e1 = tf.sub(qf.q1, y);
      const e2 = tf.sub(qf.q2, y);
      const tdLoss = tf.add(tf.mean(tf.square(e1)), tf.mean(tf.square(e2)));

      // Conservative penalty: logsumexp over 3k sampled actions per state, blocks of n rows.
      const obsK = tf.tile(b.obs, [k, 1]) as tf.Tensor2D;
      const uniform = tf.tensor2d(
        Float32Array.from({ length: k * n * actDim }, () => this.rng.uniform(-1, 1)),
        [k * n, actDim],
      );
      const cur = this.policySample(obsK);
      const nxt = this.policySample(tf.tile(b.nextObs, [k, 1]) as tf.Tensor2D);
      const sampledObs = tf.concat([obsK, obsK, obsK]) as tf.Tensor2D;
      const sampledAct = tf.concat([uniform, cur.action, nxt.action]) as tf.Tensor2D;
      const logDensity = tf.reshape(
        tf.concat([tf.fill([k * n, 1], -actDim * Math.log(2)), cur.logProb, nxt.logProb]),
        [3 * k, n],
      );
      const qs = this.q.forward(sampledObs, sampledAct);
      const alpha = this.config.alpha;
      const p1 = conservativePenalty(
        tf.reshape(qs.q1, [3 * k, n]) as tf.Tensor2D,
        logDensity as tf.Tensor2D,
        qf.q1,
        alpha,
      );
      const p2 = conservativePenalty(
        tf.reshape(qs.q2, [3 * k, n]) as tf.Tensor2D,
        logDensity as tf.Tensor2D,
        qf.q2,
        alpha,
      );
      const cqlLoss = tf.add(p1.value, p2.value);
      const criticLoss = tf.add(tdLoss, tf.mul(cqlLoss, alpha));
      // Data-action gradient: TD 2(Q - y)/n minus α/n from the penalty's -mean Q(s, a_data).
      const gData = this.q.backward(
        qf,
        tf.sub(tf.mul(e1, 2 / n), alpha / n) as tf.Tensor2D,
        tf.sub(tf.mul(e2, 2 / n), alpha / n) as tf.Tensor2D,
      ).grad;
      const gSampled = this.q.backward(qs, p1.dSampled, p2.dSampled).grad;
      this.q.optimizer.apply(tf.add(gData, gSampled) as tf.Tensor1D);
      this.q.softUpdate(this.config.tau);

      const m = readMetrics({
        "loss/critic": criticLoss,
        "loss/cql": cqlLoss,
        "loss/actor": actorLoss,
        "values/q": tf.mean(qf.q1),
        "values/log_prob": logProbMean,
      });
      meanLogProb = m["values/log_prob"];
      return m;
    });
    // Temperature: L(log T) = -log T · mean(log π + target entropy); one scalar Adam step.
    const grad = -(meanLogProb + this.targetEntropy);
    this.logTemperature -= this.scalarAdam(grad, this.config.temperatureLr);
    metrics["loss/temperature"] = -this.logTemperature * (meanLogProb + this.targetEntropy);
    metrics["values/temperature"] = Math.exp(this.logTemperature);
    this.step += 1;
    return metrics;
  }

  private scalarAdam(g: number, lr: number): number {
    const s = this.tempAdam;
    s.t += 1;
    s.m = 0.9 * s.m + 0.1 * g;
    s.v = 0.999 * s.v + 0.001 * g * g;
    return (lr * (s.m / (1 - 0.9 ** s.t))) / (Math.sqrt(s.v / (1 - 0.999 ** s.t)) + 1e-8);
  }

  act(observations: Float32Array): Float32Array {
    return actWith(this.dims, observations, (obs) => this.actor.act(obs));
  }

  stateDict(): StateDict {
    const state: StateDict = { algo: this.algo, step: this.step, arrays: {}, scalars: {} };
    saveModule(state, "q", this.q, { target: this.q.target });
    saveModule(state, "actor", this.actor);
    Object.assign(state.scalars, {
      log_temperature: this.logTemperature,
      "temperature/adam_m": this.tempAdam.m,
      "temperature/adam_v": this.tempAdam.v,
      "temperature/adam_step": this.tempAdam.t,
    });
    saveRng(state, "noise_rng", this.rng);
    return state;
  }

  loadStateDict(state: StateDict): void {
    loadModule(state, "q", this.q, { target: this.q.target });
    loadModule(state, "actor", this.actor);
    this.logTemperature = state.scalars.log_temperature ?? Math.log(this.config.initialTemperature);
    this.tempAdam = {
      m: state.scalars["temperature/adam_m"] ?? 0,
      v: state.scalars["temperature/adam_v"] ?? 0,
      t: state.scalars["temperature/adam_step"] ?? 0,
    };
    this.rng = loadRng(state, "noise_rng", this.rng);
    this.step = state.step;
  }

  actorWeights(): ActorWeights {
    return exportActor("tanh-gaussian", this.dims, this.actor);
  }

  dispose(): void {
    this.q.dispose();
    this.actor.dispose();
  }
}

export function create(config: Partial<CqlConfig>, dims: LearnerDims, rng: Rng): CqlLearner {
  return new CqlLearner({ ...CQL_DEFAULTS, ...config }, dims, rng);
}
