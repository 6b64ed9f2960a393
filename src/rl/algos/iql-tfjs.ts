/**
 * IQL on the tfjs engine with hand-written gradients: the learner iql.ts was checked against (see
 * test/rl/algos/iql-engine-match.test.ts) and the two-thread tfjs learner (iql-parallel.ts) still uses.
 * It leaves with tfjs. Config and its defaults live in iql.ts.
 *
 * IQL — Implicit Q-Learning (Kostrikov, Nair, Levine 2021), https://arxiv.org/abs/2110.06169
 * Reference implementation read: CORL algorithms/offline/iql.py.
 *
 * Never queries Q on actions outside the dataset: V is fitted as an upper expectile of Q(s, a_data),
 * Q regresses r + γ V(s'), and the actor does advantage-weighted regression onto dataset actions.
 *
 * Metrics: loss/value (expectile loss), loss/critic (sum of both Q MSEs), loss/actor (weighted squared
 * error, or weighted negative log-likelihood for the Gaussian actor), values/q (mean target min-Q on data),
 * values/v (mean V), values/adv_weight (mean exp(β·A)), values/adv_ess (the weights' effective sample size as a
 * fraction of the batch, see weightsEss).
 * Departures from the paper: the actor is deterministic by default (`actor: "gaussian"` gives the paper's
 * Gaussian, measured worse here, see IqlConfig.actor); the Gaussian's log-std is state-dependent
 * (soft-clamped) unless `logStd: "free"`; no cosine actor learning-rate schedule.
 * Gradients are written by hand (see networks/mlp.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import type { ActorForward } from "../networks/actor.js";
import { ADAM_DEFAULTS } from "../networks/adam.js";
import { TwinQ } from "../networks/critic.js";
import { ValueNet } from "../networks/value.js";
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
  type Batch,
  type BatchTensors,
  type Learner,
  type LearnerDims,
  type Metrics,
  type StateDict,
  exportActor,
} from "./learner.js";
import { IQL_DEFAULTS, type IqlConfig } from "./iql.js";

/**
 * Expectile regression loss L = mean(|τ - 1(u < 0)| · u²) over a column of residuals u = Q - V, and its
 * gradient dL/du = 2 |τ - 1(u < 0)| u / n. Inside tf.tidy.
 */
export function expectileLoss(u: tf.Tensor2D, expectile: number): { loss: tf.Scalar; dAdv: tf.Tensor2D } {
  const n = u.shape[0];
  const weight = tf.add(expectile, tf.mul(1 - 2 * expectile, tf.step(tf.neg(u))));
  const loss = tf.mean(tf.mul(weight, tf.square(u))) as tf.Scalar;
  return { loss, dAdv: tf.mul(tf.mul(weight, u), 2 / n) as tf.Tensor2D };
}

/** The value/actor half of an update's metrics, as tensors. */
export interface ValueActorTerms<T = tf.Scalar> {
  valueLoss: T;
  actorLoss: T;
  vMean: T;
  advWeight: T;
  advEss: T;
}

/** The forward passes of the V and actor half (they do not need min target-Q). */
export interface ValueActorForwards {
  vf: ReturnType<ValueNet["forward"]>;
  pi: ActorForward;
}

/**
 * The V and actor half of one IQL update, given min target-Q(s, a) of the batch (computed from the
 * parameters before this update). Applies both Adam steps. `forwards` may be computed beforehand (the
 * parallel learner does them while min target-Q is still being computed). Inside tf.tidy.
 */
export function updateValueAndActor(
  v: ValueNet,
  actor: WeightedActor,
  b: BatchTensors,
  qTarget: tf.Tensor2D,
  config: IqlConfig,
  phaseHook?: PhaseHook,
  forwards?: ValueActorForwards,
): ValueActorTerms {
  // V: expectile regression of V(s) toward min target Q(s, a). L = mean(|τ - 1(u<0)| u²), u = Q - V.
  const vf = forwards?.vf ?? v.forward(b.obs);
  const adv = tf.sub(qTarget, vf.v) as tf.Tensor2D;
  const { loss: valueLoss, dAdv } = expectileLoss(adv, config.expectile);
  // u = Q - V, so dL/dV = -dL/du.
  v.optimizer.apply(v.backward(vf, tf.neg(dAdv) as tf.Tensor2D));
  phaseHook?.("v");

  // Actor: advantage-weighted regression onto dataset actions with w = min(exp(βA), max).
  const w = clippedExpWeights(tf.mul(adv, config.beta) as tf.Tensor2D);
  const actorLoss = actor.step(forwards?.pi ?? actor.forward(b.obs), b.act, w);
  phaseHook?.("actor");
  return {
    valueLoss,
    actorLoss,
    vMean: tf.mean(vf.v) as tf.Scalar,
    advWeight: tf.mean(w) as tf.Scalar,
    advEss: weightsEss(w),
  };
}

/**
 * The twin-Q half of one IQL update, given V(s') of the batch (computed from the parameters before this
 * update): regress both heads to r + γ(1-d) V(s'), L = mean((Q1-y)²) + mean((Q2-y)²); Adam, then Polyak.
 * Returns the critic loss. Inside tf.tidy.
 */
export function updateTwinQ(q: TwinQ, b: BatchTensors, nextV: tf.Tensor2D, config: IqlConfig): tf.Scalar {
  const n = b.obs.shape[0];
  const y = tf.add(b.rew, tf.mul(b.discount, nextV));
  const qf = q.forward(b.obs, b.act);
  const e1 = tf.sub(qf.q1, y);
  const e2 = tf.sub(qf.q2, y);
  const criticLoss = tf.add(tf.mean(tf.square(e1)), tf.mean(tf.square(e2))) as tf.Scalar;
  const { grad } = q.backward(qf, tf.mul(e1, 2 / n) as tf.Tensor2D, tf.mul(e2, 2 / n) as tf.Tensor2D);
  q.optimizer.apply(grad);
  q.softUpdate(config.tau);
  return criticLoss;
}

/** The metrics of one update in their fixed order (both learners report them alike). */
export function iqlMetrics<T>(va: ValueActorTerms<T>, criticLoss: T, qMean: T): Record<string, T> {
  return {
    "loss/value": va.valueLoss,
    "loss/critic": criticLoss,
    "loss/actor": va.actorLoss,
    "values/q": qMean,
    "values/v": va.vMean,
    "values/adv_weight": va.advWeight,
    "values/adv_ess": va.advEss,
  };
}

/** Timing hooks for the benchmark: called with a label after each network's part of the update. */
export type PhaseHook = (phase: "v" | "actor" | "q") => void;

export class TfjsIqlLearner implements Learner {
  readonly algo = "iql" as const;
  readonly dims: Required<LearnerDims>;
  readonly q: TwinQ;
  readonly v: ValueNet;
  readonly actor: WeightedActor;
  step = 0;
  /** Benchmarks set this to time each network (it forces a sync after each part). */
  phaseHook: PhaseHook | undefined;

  constructor(
    readonly config: IqlConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    this.dims = completeDims(dims);
    const adam = { ...ADAM_DEFAULTS, lr: config.lr };
    this.q = new TwinQ(dims.obsDim, dims.actDim, config.hidden, rng.fork(), adam);
    this.v = new ValueNet(dims.obsDim, config.hidden, rng.fork(), adam);
    this.actor = createWeightedActor(config, dims.obsDim, dims.actDim, rng.fork(), adam);
  }

  update(batch: Batch): Metrics {
    const metrics = tf.tidy(() => {
      const b = batchTensors(batch, this.dims, this.config.discount);
      // Both halves read the parameters as they were before this update (as in CORL).
      const qTarget = this.q.targetMin(b.obs, b.act);
      const nextV = this.v.evaluate(b.nextObs);
      const va = updateValueAndActor(this.v, this.actor, b, qTarget, this.config, this.phaseHook);
      const critic = updateTwinQ(this.q, b, nextV, this.config);
      this.phaseHook?.("q");
      return readMetrics(iqlMetrics<tf.Tensor>(va, critic, tf.mean(qTarget)));
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
    saveModule(state, "v", this.v);
    saveModule(state, "actor", this.actor.net);
    return state;
  }

  loadStateDict(state: StateDict): void {
    this.actor.checkLoadable(state.arrays["actor/params"]);
    loadModule(state, "q", this.q, { target: this.q.target });
    loadModule(state, "v", this.v);
    loadModule(state, "actor", this.actor.net);
    this.step = state.step;
  }

  actorWeights(): ActorWeights {
    return exportActor(this.dims, this.actor.net);
  }

  dispose(): void {
    this.q.dispose();
    this.v.dispose();
    this.actor.net.dispose();
  }
}

export function createTfjs(config: Partial<IqlConfig>, dims: LearnerDims, rng: Rng): TfjsIqlLearner {
  return new TfjsIqlLearner({ ...IQL_DEFAULTS, ...config }, dims, rng);
}
