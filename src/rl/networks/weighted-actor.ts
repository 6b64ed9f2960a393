/**
 * The actor of the advantage-weighted algorithms (IQL, AWAC): a regression onto dataset actions with one
 * weight per sample, in one of two forms.
 * - "gaussian": weighted log-likelihood of N(tanh(mean), σ) (the IQL and AWAC papers, CORL's GaussianPolicy).
 * - "deterministic": weighted squared error of a tanh actor (CORL's `iql_deterministic`). With every weight 1
 *   this is exactly BC's loss, so the critic's weights are the only difference from BC.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import type { AdamConfig } from "./adam.js";
import {
  DeterministicActor,
  GaussianActor,
  weightedLikelihood,
  type ActorForward,
  type GaussianForward,
  type LogStdMode,
} from "./actor.js";

export const ACTOR_FORMS = ["gaussian", "deterministic"] as const;
export type ActorForm = (typeof ACTOR_FORMS)[number];

export interface WeightedActor {
  readonly net: GaussianActor | DeterministicActor;
  /** The forward pass with its tape (may run before the weights are known). Inside tf.tidy. */
  forward(obs: tf.Tensor2D): ActorForward;
  /** One Adam step on the weighted loss at `fwd`; returns the loss. Inside tf.tidy. */
  step(fwd: ActorForward, actions: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar;
  /** Deterministic actions in [-1, 1]. Inside tf.tidy. */
  act(obs: tf.Tensor2D): tf.Tensor2D;
  /** Throws if `values` cannot be this actor's parameters (a "state" log-std checkpoint into "free"). */
  checkLoadable(values?: Float32Array): void;
}

export interface WeightedActorConfig {
  actor: ActorForm;
  /** Gaussian form only. */
  logStd: LogStdMode;
  hidden: number[];
}

/** Advantage weights are clipped here (CORL's EXP_ADV_MAX) so one large advantage cannot dominate a batch. */
export const EXP_ADV_MAX = 100;

/**
 * The sample weights of IQL and AWAC from scaled advantages (β·A or A/λ): min(exp(scaled), EXP_ADV_MAX).
 * Inside tf.tidy.
 */
export function clippedExpWeights(scaledAdvantages: tf.Tensor2D): tf.Tensor2D {
  return tf.minimum(tf.exp(scaledAdvantages), EXP_ADV_MAX) as tf.Tensor2D;
}

/**
 * Effective sample size of a batch's weights as a fraction of the batch, (Σw)² / (n Σw²): 1 when every
 * weight is equal (BC), 1/n when one sample carries the batch. A small value says the critic's weights
 * train the actor on a few samples only. Inside tf.tidy.
 */
export function weightsEss(weights: tf.Tensor2D): tf.Scalar {
  const n = weights.shape[0];
  return tf.div(tf.square(tf.sum(weights)), tf.mul(tf.sum(tf.square(weights)), n)) as tf.Scalar;
}

export function createWeightedActor(
  config: WeightedActorConfig,
  obsDim: number,
  actDim: number,
  rng: Rng,
  adam: AdamConfig,
): WeightedActor {
  if (config.actor === "deterministic") {
    const net = new DeterministicActor(obsDim, actDim, config.hidden, rng, adam);
    return {
      net,
      forward: (obs) => net.forward(obs),
      step(fwd, actions, weights) {
        // L = mean over rows and dimensions of w · (π(s) - a)², BC's MSE when w = 1.
        const err = tf.sub(fwd.out, actions);
        const loss = tf.mean(tf.mul(weights, tf.square(err))) as tf.Scalar;
        const scale = 2 / (actions.shape[0] * actDim);
        net.optimizer.apply(net.backward(fwd, tf.mul(tf.mul(err, weights), scale) as tf.Tensor2D));
        return loss;
      },
      act: (obs) => net.act(obs),
      checkLoadable: () => undefined,
    };
  }
  const net = new GaussianActor(obsDim, actDim, config.hidden, rng, adam, "soft", config.logStd);
  return {
    net,
    forward: (obs) => net.forward(obs),
    step(fwd, actions, weights) {
      const pi = fwd as GaussianForward;
      const { loss, dMean, dLogStd } = weightedLikelihood(pi, actions, weights);
      net.optimizer.apply(net.backward(pi, dMean, dLogStd));
      return loss;
    },
    act: (obs) => net.act(obs),
    checkLoadable: (values) => net.assertFree(values),
  };
}
