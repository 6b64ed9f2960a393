/**
 * Actors. Both map a normalized observation to an action in [-1, 1]:
 * - DeterministicActor: tanh output layer (TD3+BC, BC).
 * - GaussianActor: linear output [mean (pre-tanh), log-std]; the deterministic action is tanh(mean).
 *   log-std is soft-clamped to [LOG_STD_MIN, LOG_STD_MAX] with a tanh (differentiable, no dead gradient).
 *   `logStd: "state"` computes it from the state; "free" makes it one learned value per action dimension
 *   (the IQL paper's and CORL's GaussianPolicy), held as the log-std outputs' biases with their incoming
 *   weights fixed at zero, so parameters, checkpoints and the exported network keep the same layout.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import { Adam, type AdamConfig } from "./adam.js";
import { mlpBackward, mlpForward, type LayerTensors, type MlpTape } from "./mlp.js";
import type { MlpSpec } from "./mlp-spec.js";
import { ParamSet } from "./param-set.js";
import {
  deterministicActorSpec,
  gaussianActorSpec,
  LOG_STD_MAX,
  LOG_STD_MIN,
  logStdWeightIndices,
  assertFreeLogStd,
} from "./actor-spec.js";

export { LOG_STD_MAX, LOG_STD_MIN };

export interface ActorForward {
  out: tf.Tensor2D;
  tape: MlpTape;
  layers: LayerTensors[];
}

export class DeterministicActor {
  readonly kind = "deterministic" as const;
  readonly spec: MlpSpec;
  readonly params: ParamSet;
  readonly optimizer: Adam;

  constructor(
    obsDim: number,
    readonly actDim: number,
    hidden: number[],
    rng: Rng,
    adam: AdamConfig,
  ) {
    this.spec = deterministicActorSpec(obsDim, actDim, hidden);
    this.params = ParamSet.create("actor", [this.spec], rng);
    this.optimizer = new Adam(this.params, adam);
  }

  /** Actions in [-1, 1] with the tape. Inside tf.tidy. */
  forward(obs: tf.Tensor2D): ActorForward {
    const layers = this.params.layers(0);
    const tape: MlpTape = { inputs: [], outputs: [] };
    return { out: mlpForward(this.spec, layers, obs, tape), tape, layers };
  }

  act(obs: tf.Tensor2D): tf.Tensor2D {
    return mlpForward(this.spec, this.params.layers(0), obs);
  }

  backward(fwd: ActorForward, dAction: tf.Tensor2D): tf.Tensor1D {
    return this.params.flatten([mlpBackward(this.spec, fwd.layers, fwd.tape, dAction).grads]);
  }

  dispose(): void {
    this.params.dispose();
    this.optimizer.dispose();
  }
}

export interface GaussianForward extends ActorForward {
  /** Pre-tanh mean [B, A]. */
  mean: tf.Tensor2D;
  /** Clamped log standard deviation [B, A]. */
  logStd: tf.Tensor2D;
  /** Soft clamp: tanh of the raw log-std output; hard clamp: 1 where the raw value is inside the range. */
  squashedRaw: tf.Tensor2D;
}

/** Where a GaussianActor's log-std comes from: a function of the state, or one free vector. */
export type LogStdMode = "state" | "free";

export class GaussianActor {
  readonly kind = "tanh-gaussian" as const;
  readonly spec: MlpSpec;
  readonly params: ParamSet;
  readonly optimizer: Adam;

  /**
   * `logStdClamp`: "soft" (default) squashes the raw output into [LOG_STD_MIN, LOG_STD_MAX] with a tanh;
   * "hard" clips it (zero gradient outside), the form src/policy's ConditionalSupport evaluates.
   * `logStd`: "state" (default) lets the last layer compute the raw log-std from the hidden features;
   * "free" zeroes those weights at construction and never updates them, so the raw log-std is the bias
   * vector, state-independent, and its gradient is the sum over the batch of dL/d raw log-std.
   */
  constructor(
    obsDim: number,
    readonly actDim: number,
    hidden: number[],
    rng: Rng,
    adam: AdamConfig,
    readonly logStdClamp: "soft" | "hard" = "soft",
    readonly logStd: LogStdMode = "state",
  ) {
    this.spec = gaussianActorSpec(obsDim, actDim, hidden);
    this.params = ParamSet.create("actor", [this.spec], rng);
    if (logStd === "free") {
      const values = this.params.read();
      for (const i of this.logStdWeightIndices()) values[i] = 0;
      this.params.write(values);
    }
    this.optimizer = new Adam(this.params, adam);
  }

  /** Flat indices of the last layer's weights into the log-std outputs (zero and frozen when "free"). */
  logStdWeightIndices(): number[] {
    return logStdWeightIndices(this.spec, this.actDim);
  }

  /**
   * "free" only: throws unless the log-std weights in `values` (default: the current parameters) are zero,
   * e.g. for a "state" checkpoint. Learners call it before loading, so a refused state dict changes nothing.
   */
  assertFree(values?: Float32Array): void {
    if (this.logStd === "free") assertFreeLogStd(this.spec, this.actDim, this.params.size, values);
  }

  forward(obs: tf.Tensor2D): GaussianForward {
    const layers = this.params.layers(0);
    const tape: MlpTape = { inputs: [], outputs: [] };
    const out = mlpForward(this.spec, layers, obs, tape);
    const mean = tf.slice(out, [0, 0], [-1, this.actDim]) as tf.Tensor2D;
    const raw = tf.slice(out, [0, this.actDim], [-1, this.actDim]) as tf.Tensor2D;
    if (this.logStdClamp === "hard") {
      const logStd = tf.clipByValue(raw, LOG_STD_MIN, LOG_STD_MAX) as tf.Tensor2D;
      // For "hard" the derivative mask (1 inside the range) takes squashedRaw's place.
      const inside = tf.mul(
        tf.step(tf.sub(raw, LOG_STD_MIN)),
        tf.step(tf.sub(LOG_STD_MAX, raw)),
      ) as tf.Tensor2D;
      return { out, tape, layers, mean, logStd, squashedRaw: inside };
    }
    const squashedRaw = tf.tanh(raw) as tf.Tensor2D;
    const half = 0.5 * (LOG_STD_MAX - LOG_STD_MIN);
    const logStd = tf.add(LOG_STD_MIN + half, tf.mul(squashedRaw, half)) as tf.Tensor2D;
    return { out, tape, layers, mean, logStd, squashedRaw };
  }

  /** Deterministic action tanh(mean). Inside tf.tidy. */
  act(obs: tf.Tensor2D): tf.Tensor2D {
    const out = mlpForward(this.spec, this.params.layers(0), obs);
    return tf.tanh(tf.slice(out, [0, 0], [-1, this.actDim])) as tf.Tensor2D;
  }

  /** Flat gradient from dLoss/dMean (pre-tanh) and dLoss/dLogStd (clamped). Inside tf.tidy. */
  backward(fwd: GaussianForward, dMean: tf.Tensor2D, dLogStd: tf.Tensor2D): tf.Tensor1D {
    const half = 0.5 * (LOG_STD_MAX - LOG_STD_MIN);
    const dRawStd =
      this.logStdClamp === "hard"
        ? tf.mul(dLogStd, fwd.squashedRaw)
        : tf.mul(dLogStd, tf.mul(tf.sub(1, tf.square(fwd.squashedRaw)), half));
    const dOut = tf.concat([dMean, dRawStd], 1) as tf.Tensor2D;
    const grads = mlpBackward(this.spec, fwd.layers, fwd.tape, dOut).grads;
    if (this.logStd === "free") {
      // The log-std weights stay zero: only the bias (the free vector) gets dL/d raw, summed over the batch.
      const last = grads.length - 2;
      const dW = grads[last] as tf.Tensor2D;
      grads[last] = tf.concat(
        [tf.slice(dW, [0, 0], [-1, this.actDim]), tf.zerosLike(tf.slice(dW, [0, this.actDim], [-1, -1]))],
        1,
      );
    }
    return this.params.flatten([grads]);
  }

  dispose(): void {
    this.params.dispose();
    this.optimizer.dispose();
  }
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export interface WeightedLikelihood {
  /** log π(a|s) per row [B, 1] under N(tanh(mean), exp(logStd)). */
  logProb: tf.Tensor2D;
  /** -mean(weight · log π(a|s)). */
  loss: tf.Scalar;
  dMean: tf.Tensor2D;
  dLogStd: tf.Tensor2D;
}

/**
 * Advantage-weighted regression terms (IQL, AWAC): loss = -mean(w · log π(a_data|s)) with
 * π = N(tanh(mean), exp(logStd)) per dimension, and its gradients:
 * d/d tanh(mean) = -w (a - μ)/σ², through tanh × (1 - μ²); d/d logStd = -w ((a - μ)²/σ² - 1). Inside tf.tidy.
 */
export function weightedLikelihood(
  fwd: GaussianForward,
  actions: tf.Tensor2D,
  weights: tf.Tensor2D,
): WeightedLikelihood {
  const n = actions.shape[0];
  const mu = tf.tanh(fwd.mean);
  const invVar = tf.exp(tf.mul(fwd.logStd, -2));
  const diff = tf.sub(actions, mu);
  const z2 = tf.mul(tf.square(diff), invVar);
  const logProb = tf.sum(tf.sub(tf.mul(z2, -0.5), tf.add(fwd.logStd, HALF_LOG_2PI)), 1, true) as tf.Tensor2D;
  const loss = tf.neg(tf.mean(tf.mul(weights, logProb))) as tf.Scalar;
  const wn = tf.div(weights, -n);
  const dMean = tf.mul(tf.mul(wn, tf.mul(diff, invVar)), tf.sub(1, tf.square(mu))) as tf.Tensor2D;
  const dLogStd = tf.mul(wn, tf.sub(z2, 1)) as tf.Tensor2D;
  return { logProb, loss, dMean, dLogStd };
}

export interface SquashedSample {
  /** tanh(mean + σ·ε), [B, A]. */
  action: tf.Tensor2D;
  /** log-density of the squashed sample [B, 1] (with the tanh Jacobian, SAC's 1e-6 guard). */
  logProb: tf.Tensor2D;
  /** σ·ε, kept for the log-std gradient. */
  scaledNoise: tf.Tensor2D;
}

/** SAC's reparameterized tanh-Gaussian sample with externally drawn standard normal noise. Inside tf.tidy. */
export function squashedSample(
  fwd: { mean: tf.Tensor2D; logStd: tf.Tensor2D },
  noise: tf.Tensor2D,
): SquashedSample {
  const scaledNoise = tf.mul(tf.exp(fwd.logStd), noise) as tf.Tensor2D;
  const action = tf.tanh(tf.add(fwd.mean, scaledNoise)) as tf.Tensor2D;
  const perDim = tf.sub(
    tf.sub(tf.mul(tf.square(noise), -0.5), tf.add(fwd.logStd, HALF_LOG_2PI)),
    tf.log(tf.add(tf.sub(1, tf.square(action)), 1e-6)),
  );
  return { action, logProb: tf.sum(perDim, 1, true) as tf.Tensor2D, scaledNoise };
}
