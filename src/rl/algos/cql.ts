/**
 * CQL — Conservative Q-Learning (Kumar, Zhou, Tucker, Levine 2020), https://arxiv.org/abs/2006.04779
 * Reference implementations read: CORL algorithms/offline/cql.py, d3rlpy CQL (CQL(H), SAC backbone).
 * Written as forward losses on the engine (src/tensor).
 *
 * SAC with a conservative penalty on each critic:
 *   α_cql · ( mean_s logsumexp_j [Q(s, a_j) - log μ(a_j)] - mean Q(s, a_data) )
 * over n uniform actions (μ = 2^-A), n policy actions at s and n policy actions at s' (μ = π, importance
 * sampling as in the paper's CQL(H)). Pushes Q down on actions the data never showed.
 * Order as in CORL: the actor steps first (on the critic before this update), then the critic, with
 * actions from the stepped policy.
 *
 * Metrics: loss/critic (TD + penalty, both heads), loss/cql (penalty before α_cql), loss/actor (SAC),
 * loss/temperature, values/q (mean Q1 on data), values/temperature (SAC entropy temperature).
 * Departures: no Lagrangian α_cql (fixed weight, CORL's default), no entropy term in the backup (CORL default).
 */
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { batchFeeds, batchInputs, checkBatch } from "./graph-batch.js";
import { GraphLearner } from "./graph-learner.js";
import { gaussianHead, twinQ, twinQActor, type GraphActor } from "./graph-nets.js";
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

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

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

/**
 * SAC's reparameterized tanh-Gaussian sample a = tanh(u), u = mean + σε, and its log-density. The tanh
 * Jacobian is in torch's TanhTransform form (CORL's policy), log(1 - tanh²u) = 2(log 2 - u - softplus(-2u)):
 * exact without a 1e-6 guard, and its gradient is exactly the -2a the tfjs learner wrote by hand.
 */
function squashedSample(
  g: Graph,
  head: { mean: Value; logStd: Value },
  noise: Value,
): { action: Value; logProb: Value } {
  const u = g.add(head.mean, g.mul(g.exp(head.logStd), noise));
  const logJacobian = g.mul(g.sub(g.sub(Math.log(2), u), g.softplus(g.mul(u, -2))), 2);
  const perDim = g.sub(g.sub(g.mul(g.square(noise), -0.5), g.add(head.logStd, HALF_LOG_2PI)), logJacobian);
  return { action: g.tanh(u), logProb: g.sum(perDim, [1], true) };
}

/** `blocks` stacked along rows. */
function stackRows(g: Graph, blocks: Value[]): Value {
  return blocks.length === 1 ? blocks[0] : g.concat(blocks, 0);
}

/**
 * The conservative penalty of both heads side by side, summed over heads: mean_s logsumexp_j [Q(s, a_j) -
 * log μ(a_j)] - mean Q(s, a_data). `q` is [1 + 3k, 2n]: row 0 the data actions, rows 1..k the uniform
 * actions, rows k+1..3k the policy's samples; `logDensity` is [3k, 2n]. With `lowerBound` ([1, 2n]), the
 * policy rows' Q-values become max(Q, bound) before the log-density is subtracted (Cal-QL, as CORL).
 */
export function conservativePenalty(
  g: Graph,
  q: Value,
  logDensity: Value,
  k: number,
  lowerBound?: Value,
): Value {
  const sets = q.shape[0];
  const qData = g.slice(q, 0, 0, 1);
  const policyQ = g.slice(q, 0, 1 + k, sets);
  const sampled = g.concat([g.slice(q, 0, 1, 1 + k), lowerBound ? g.max(policyQ, lowerBound) : policyQ], 0);
  const lse = g.logSumExp(g.sub(sampled, logDensity), 0, true);
  return g.mul(g.sub(g.mean(lse), g.mean(qData)), 2);
}

export class CqlLearner extends GraphLearner implements Learner {
  readonly algo: "cql" | "calql" = "cql";
  readonly dims: Required<LearnerDims>;
  readonly actor: GraphActor;
  protected readonly trainer: GraphTrainer;
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
    super();
    this.dims = completeDims(dims);
    // The draws of the earlier tfjs learner, in its order (checkpoints and seeds carry over): twin Q, actor, then the noise stream.
    const nets = twinQActor(
      this.dims,
      {
        ...config,
        actor: "gaussian",
        logStd: "state",
        criticLr: config.criticLr,
        actorLr: config.actorLr,
        actorTarget: false,
      },
      rng,
    );
    this.actor = nets.actor;
    this.rng = rng.fork();
    this.logTemperature = Math.log(config.initialTemperature);
    this.targetEntropy = config.targetEntropy ?? -this.dims.actDim;
    this.trainer = new GraphTrainer("cql", nets.groups, (g, nets, n, optimize) =>
      this.buildUpdate(g, nets, n, optimize),
    );
  }

  private buildUpdate(
    g: Graph,
    nets: Record<string, GroupValues>,
    n: number,
    optimize: Optimize,
  ): UpdateGraph {
    const { actDim } = this.dims;
    const c = this.config;
    const k = c.sampledActions;
    const actor = nets[this.actor.group.name];
    const { obs, nextObs, act, rew, notDone } = batchInputs(g, n, this.dims);
    const temperature = g.input("temperature", []);

    // Actor (SAC): L = mean(T·log π(a|s) - min Q(s, a)), a = tanh(mean + σε) reparameterized.
    const s = squashedSample(
      g,
      gaussianHead(g, this.actor.forward(g, actor, obs), actDim),
      g.input("noise_actor", [n, actDim]),
    );
    const [qa1, qa2] = twinQ(g, nets.q, obs, s.action, "params", c.criticLayerNorm);
    const actorLoss = g.mean(g.sub(g.mul(s.logProb, temperature), g.min(qa1, qa2)));
    const stepped = optimize(this.actor.group.name, actorLoss);

    // The stepped policy once per state (rows 0..n-1 at s, n..2n-1 at s').
    const policy = gaussianHead(g, this.actor.forward(g, stepped, g.concat([obs, nextObs], 0)), actDim);
    const half = (t: Value, i: number): Value => g.slice(t, 0, i * n, (i + 1) * n);

    // Critic TD target with a' ~ π(s').
    const next = squashedSample(
      g,
      { mean: half(policy.mean, 1), logStd: half(policy.logStd, 1) },
      g.input("noise_next", [n, actDim]),
    );
    const [t1, t2] = twinQ(g, nets.q, nextObs, next.action, "target", c.criticLayerNorm);
    const y = g.stopGradient(g.add(rew, g.mul(g.mul(notDone, c.discount), g.min(t1, t2))));

    // k uniform actions, then k policy samples at s and k at s' per state, in blocks of n rows.
    const tileK = (t: Value): Value =>
      stackRows(g, [...Array<Value>(k).fill(half(t, 0)), ...Array<Value>(k).fill(half(t, 1))]);
    const sampled = squashedSample(
      g,
      { mean: tileK(policy.mean), logStd: tileK(policy.logStd) },
      g.input("noise_sampled", [2 * k * n, actDim]),
    );
    const uniform = g.input("uniform_actions", [k * n, actDim]);

    // One critic pass for the data actions and the 3k sampled action sets, all at s.
    const sets = 3 * k + 1;
    const [qs1, qs2] = twinQ(
      g,
      nets.q,
      stackRows(g, Array<Value>(sets).fill(obs)),
      g.concat([act, uniform, g.stopGradient(sampled.action)], 0),
      "params",
      c.criticLayerNorm,
    );
    // Both heads side by side: [sets, 2n]; row 0 holds the data actions.
    const q = g.concat([g.reshape(qs1, [sets, n]), g.reshape(qs2, [sets, n])], 1);
    const qData = g.slice(q, 0, 0, 1);
    const yRow = g.reshape(y, [1, n]);
    const tdLoss = g.div(g.sum(g.square(g.sub(qData, g.concat([yRow, yRow], 1)))), n);
    const logDensityHead = g.concat(
      [
        g.constant(new Array<number>(k * n).fill(-actDim * Math.log(2)), [k, n]),
        g.reshape(g.stopGradient(sampled.logProb), [2 * k, n]),
      ],
      0,
    );
    const logDensity = g.concat([logDensityHead, logDensityHead], 1);
    const bound = this.lowerBound(g, n);
    const cqlLoss = conservativePenalty(g, q, logDensity, k, bound && g.concat([bound, bound], 1));
    const criticLoss = g.add(tdLoss, g.mul(cqlLoss, c.alpha));
    optimize("q", criticLoss);

    return {
      metrics: {
        "loss/critic": criticLoss,
        "loss/cql": cqlLoss,
        "loss/actor": actorLoss,
        "values/q": g.mean(g.slice(qData, 1, 0, n)),
        "values/log_prob": g.mean(s.logProb),
      },
      polyak: { q: c.tau },
    };
  }

  /** A lower bound on the policy actions' Q-values in the penalty, [1, n]: none in CQL (Cal-QL: calql.ts). */
  protected lowerBound(_g: Graph, _n: number): Value | undefined {
    return undefined;
  }

  /** Feeds beyond the transition and the noise (Cal-QL's returns-to-go). */
  protected extraFeeds(_batch: Batch): Record<string, Float32Array> {
    return {};
  }

  private normals(rows: number): Float32Array {
    const out = new Float32Array(rows * this.dims.actDim);
    for (let i = 0; i < out.length; i++) out[i] = this.rng.normal();
    return out;
  }

  update(batch: Batch): Metrics {
    checkBatch(batch, this.dims);
    const n = batch.size;
    const k = this.config.sampledActions;
    // The earlier tfjs learner's draw order (kept so seeds carry over): actor noise, next-state noise, uniform actions, sampled-action noise.
    const noiseActor = this.normals(n);
    const noiseNext = this.normals(n);
    const uniform = Float32Array.from({ length: k * n * this.dims.actDim }, () => this.rng.uniform(-1, 1));
    const noiseSampled = this.normals(2 * k * n);
    const metrics = this.trainer.update(
      {
        ...batchFeeds(batch),
        temperature: Float32Array.of(Math.exp(this.logTemperature)),
        noise_actor: noiseActor,
        noise_next: noiseNext,
        uniform_actions: uniform,
        noise_sampled: noiseSampled,
        ...this.extraFeeds(batch),
      },
      n,
    );
    const meanLogProb = metrics["values/log_prob"];
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

  override stateDict(): StateDict {
    const state = super.stateDict();
    Object.assign(state.scalars, {
      log_temperature: this.logTemperature,
      "temperature/adam_m": this.tempAdam.m,
      "temperature/adam_v": this.tempAdam.v,
      "temperature/adam_step": this.tempAdam.t,
    });
    saveRng(state, "noise_rng", this.rng);
    return state;
  }

  override loadStateDict(state: StateDict): void {
    super.loadStateDict(state);
    this.logTemperature = state.scalars.log_temperature ?? Math.log(this.config.initialTemperature);
    this.tempAdam = {
      m: state.scalars["temperature/adam_m"] ?? 0,
      v: state.scalars["temperature/adam_v"] ?? 0,
      t: state.scalars["temperature/adam_step"] ?? 0,
    };
    this.rng = loadRng(state, "noise_rng", this.rng);
  }
}

export function create(config: Partial<CqlConfig>, dims: LearnerDims, rng: Rng): CqlLearner {
  return new CqlLearner({ ...CQL_DEFAULTS, ...config }, dims, rng);
}
