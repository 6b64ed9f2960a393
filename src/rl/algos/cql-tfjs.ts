/**
 * CQL on tfjs with hand-written gradients: what cql.ts (the engine learner) was checked against in
 * test/rl/algos/engine-match.test.ts. It leaves with tfjs; config and defaults live in cql.ts.
 *
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
} from "./learner.js";
import { CQL_DEFAULTS, type CqlConfig } from "./cql.js";

/**
 * The CQL(H) penalty mean_s logsumexp_j (Q(s, a_j) - log μ(a_j)) - mean Q(s, a_data), summed over `heads`
 * critics laid side by side: sampled Q values and log-densities [samples, heads·batch] (head h in columns
 * h·batch..), data Q values any shape with heads·batch entries. `dSampled` is α · softmax_j / batch, shaped
 * like qSampled (the gradient of α · penalty w.r.t. each sampled Q). One logsumexp for all heads. Inside tf.tidy.
 */
export function conservativePenalty(
  qSampled: tf.Tensor2D,
  logDensity: tf.Tensor2D,
  qData: tf.Tensor,
  alpha: number,
  heads = 1,
): { value: tf.Scalar; dSampled: tf.Tensor2D } {
  const n = qSampled.shape[1] / heads;
  const logits = tf.sub(qSampled, logDensity);
  const lse = tf.logSumExp(logits, 0, true);
  const softmax = tf.exp(tf.sub(logits, lse));
  return {
    value: tf.mul(tf.sub(tf.mean(lse), tf.mean(qData)), heads) as tf.Scalar,
    dSampled: tf.mul(softmax, alpha / n) as tf.Tensor2D,
  };
}

/** Row blocks stacked in order: tfjs-wasm's Tile kernel is several times slower than a Concat. */
function repeatRows(blocks: tf.Tensor[]): tf.Tensor2D {
  return tf.concat(blocks) as tf.Tensor2D;
}

export class TfjsCqlLearner implements Learner {
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

      // The policy after its step, once per state (rows 0..n-1 at s, n..2n-1 at s'): the k samples per state
      // below share a state's mean and log-std, so tiling those replaces k-times-larger actor passes.
      const policy = this.actor.forward(tf.concat([b.obs, b.nextObs]) as tf.Tensor2D);
      const atNext = (t: tf.Tensor2D) => tf.slice(t, [n, 0], [n, actDim]) as tf.Tensor2D;

      // Critic TD target with a' ~ π(s').
      const next = squashedSample(
        { mean: atNext(policy.mean), logStd: atNext(policy.logStd) },
        this.normals(n),
      );
      const y = tf.add(b.rew, tf.mul(b.discount, this.q.targetMin(b.nextObs, next.action)));

      // k uniform actions, then k policy samples at s and k at s' per state, in blocks of n rows.
      const uniform = tf.tensor2d(
        Float32Array.from({ length: k * n * actDim }, () => this.rng.uniform(-1, 1)),
        [k * n, actDim],
      );
      const tileK = (t: tf.Tensor2D) => {
        const [atObs, atNextObs] = tf.split(t, 2);
        return repeatRows([...Array<tf.Tensor>(k).fill(atObs), ...Array<tf.Tensor>(k).fill(atNextObs)]);
      };
      const sampled = squashedSample(
        { mean: tileK(policy.mean), logStd: tileK(policy.logStd) },
        this.normals(2 * k * n),
      );

      // One critic pass for the data actions and the 3k sampled action sets, all at s: [3k + 1 blocks of n].
      const sets = 3 * k + 1;
      const qf = this.q.forward(
        repeatRows(Array<tf.Tensor>(sets).fill(b.obs)),
        tf.concat([b.act, uniform, sampled.action]) as tf.Tensor2D,
      );
      // Both heads side by side: [sets, 2n], head 2 in columns n..2n-1; row 0 holds the data actions.
      const q = tf.concat([tf.reshape(qf.q1, [sets, n]), tf.reshape(qf.q2, [sets, n])], 1) as tf.Tensor2D;
      const qData = tf.slice(q, [0, 0], [1, 2 * n]);
      const yRow = tf.reshape(y, [1, n]);
      const e = tf.sub(qData, tf.concat([yRow, yRow], 1));
      const tdLoss = tf.div(tf.sum(tf.square(e)), n);
      const logDensityHead = tf.concat([
        tf.fill([k, n], -actDim * Math.log(2)),
        tf.reshape(sampled.logProb, [2 * k, n]),
      ]);
      const logDensity = tf.concat([logDensityHead, logDensityHead], 1) as tf.Tensor2D;
      const alpha = this.config.alpha;
      const penalty = conservativePenalty(
        tf.slice(q, [1, 0], [-1, -1]) as tf.Tensor2D,
        logDensity,
        qData,
        alpha,
        2,
      );
      const cqlLoss = penalty.value;
      const criticLoss = tf.add(tdLoss, tf.mul(cqlLoss, alpha));
      // Data-action gradient: TD 2(Q - y)/n minus α/n from the penalty's -mean Q(s, a_data).
      const dq = tf.concat([tf.sub(tf.mul(e, 2 / n), alpha / n), penalty.dSampled]);
      const dqHead = (h: number) =>
        tf.reshape(tf.slice(dq, [0, h * n], [-1, n]), [sets * n, 1]) as tf.Tensor2D;
      this.q.optimizer.apply(this.q.backward(qf, dqHead(0), dqHead(1)).grad);
      this.q.softUpdate(this.config.tau);

      const m = readMetrics({
        "loss/critic": criticLoss,
        "loss/cql": cqlLoss,
        "loss/actor": actorLoss,
        "values/q": tf.mean(tf.slice(qData, [0, 0], [1, n])),
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
    return exportActor(this.dims, this.actor);
  }

  dispose(): void {
    this.q.dispose();
    this.actor.dispose();
  }
}

export function createTfjs(config: Partial<CqlConfig>, dims: LearnerDims, rng: Rng): TfjsCqlLearner {
  return new TfjsCqlLearner({ ...CQL_DEFAULTS, ...config }, dims, rng);
}
