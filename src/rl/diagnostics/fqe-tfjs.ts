/**
 * The tfjs FQE, kept only to prove the engine port (fqe.ts) against it. Fitted Q Evaluation (Le et al. 2019; Voloshin et al. 2021): off-policy estimate of a fixed policy's value
 * from the dataset alone. Q^π is regressed on r + γ (1 − terminal) Q'(s', π(s')) with a Polyak target, and
 * the estimate is the mean of Q^π(s0, π(s0)) over the dataset's episode start states (discounted return).
 * Sensitive to coverage (seed chapter, "Evaluation"): read it together with the support gap.
 */
import * as tf from "@tensorflow/tfjs-core";
import { assertFinite, NonFiniteError, ShapeMismatchError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import type { TransitionColumns } from "../../core/transitions.js";
import { Adam } from "../networks/adam.js";
import { mlpBackward, mlpForward, type MlpTape } from "../networks/mlp.js";
import type { MlpSpec } from "../networks/mlp-spec.js";
import { ParamSet } from "../networks/param-set.js";
import { normalizeInto, rowStats } from "./observation-stats.js";

export interface FqeConfig {
  hidden: number[];
  steps: number;
  batchSize: number;
  lr: number;
  discount: number;
  /** Polyak rate of the target network. */
  tau: number;
  seed: number;
}

export const FQE_DEFAULTS: FqeConfig = {
  hidden: [256, 256],
  steps: 5000,
  batchSize: 256,
  lr: 3e-4,
  discount: 0.99,
  tau: 0.005,
  seed: 0,
};

export interface FqeResult {
  /** Mean Q^π(s0, π(s0)) over episode start states: the estimated discounted return. */
  initial_value: number;
  /** Mean Q^π(s, π(s)) over all dataset states. */
  mean_value: number;
  /** Final mean squared Bellman error. */
  bellman_loss: number;
  discount: number;
  steps: number;
  initial_states: number;
}

/** Deterministic policy over rows: `n × obsDim` raw observations -> `n × actDim` actions in [-1, 1]. */
export type BatchPolicy = (observations: Float32Array) => Float32Array;

export function runFqeTfjs(
  data: TransitionColumns,
  policy: BatchPolicy,
  overrides: Partial<FqeConfig> = {},
  onProgress?: (step: number, total: number, loss: number) => void,
): FqeResult {
  const cfg = { ...FQE_DEFAULTS, ...overrides };
  const { size, obsDim, actDim } = data;
  const nextActions = policy(data.nextObservations.subarray(0, size * obsDim));
  const stateActions = policy(data.observations.subarray(0, size * obsDim));
  if (nextActions.length !== size * actDim)
    throw new ShapeMismatchError("FQE policy actions", size * actDim, nextActions.length);
  assertFinite("FQE policy actions", nextActions);
  const { mean, std } = rowStats(data.observations.subarray(0, size * obsDim), obsDim);
  const obs = normalizeInto(data.observations.subarray(0, size * obsDim), mean, std);
  const nextObs = normalizeInto(data.nextObservations.subarray(0, size * obsDim), mean, std);
  const starts: number[] = [];
  for (let i = 0; i < size; i++) if (i === 0 || data.episodes[i] !== data.episodes[i - 1]) starts.push(i);

  const inDim = obsDim + actDim;
  const spec: MlpSpec = { sizes: [inDim, ...cfg.hidden, 1], hidden: "relu", output: "linear" };
  const rng = new Rng(cfg.seed);
  const q = ParamSet.create("fqe_q", [spec], rng);
  const target = q.clone("fqe_q_target");
  const adam = new Adam(q, { lr: cfg.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const B = Math.min(cfg.batchSize, size);
  const x = new Float32Array(B * inDim);
  const xNext = new Float32Array(B * inDim);
  const r = new Float32Array(B);
  const disc = new Float32Array(B);
  const row = (dst: Float32Array, k: number, o: Float32Array, a: Float32Array, i: number): void => {
    dst.set(o.subarray(i * obsDim, (i + 1) * obsDim), k * inDim);
    dst.set(a.subarray(i * actDim, (i + 1) * actDim), k * inDim + obsDim);
  };
  let loss = Number.NaN;
  try {
    for (let step = 0; step < cfg.steps; step++) {
      for (let k = 0; k < B; k++) {
        const i = rng.int(size);
        row(x, k, obs, data.actions, i);
        row(xNext, k, nextObs, nextActions, i);
        r[k] = data.rewards[i];
        disc[k] = cfg.discount * (1 - data.terminals[i]);
      }
      const lossT = tf.tidy(() => {
        const y = tf.add(
          tf.tensor2d(r, [B, 1]),
          tf.mul(
            tf.tensor2d(disc, [B, 1]),
            mlpForward(spec, target.layers(0), tf.tensor2d(xNext, [B, inDim])),
          ),
        );
        const layers = q.layers(0);
        const tape: MlpTape = { inputs: [], outputs: [] };
        const diff = tf.sub(mlpForward(spec, layers, tf.tensor2d(x, [B, inDim]), tape), y);
        const grads = mlpBackward(spec, layers, tape, tf.mul(diff, 2 / B) as tf.Tensor2D).grads;
        adam.apply(q.flatten([grads]));
        return tf.mean(tf.square(diff));
      });
      target.softUpdate(q, cfg.tau);
      if (step === cfg.steps - 1 || (onProgress && step % 200 === 0)) {
        loss = (lossT.dataSync() as Float32Array)[0];
        if (!Number.isFinite(loss))
          throw new NonFiniteError("FQE Bellman loss", step, loss, {
            hint: "lower --fqe-lr or check the dataset's rewards",
          });
        onProgress?.(step + 1, cfg.steps, loss);
      }
      lossT.dispose();
    }
    const values = qValues(spec, q, obs, stateActions, size, obsDim, actDim);
    let total = 0;
    for (let i = 0; i < size; i++) total += values[i];
    let initial = 0;
    for (const i of starts) initial += values[i];
    return {
      initial_value: initial / starts.length,
      mean_value: total / size,
      bellman_loss: loss,
      discount: cfg.discount,
      steps: cfg.steps,
      initial_states: starts.length,
    };
  } finally {
    adam.dispose();
    q.dispose();
    target.dispose();
  }
}

function qValues(
  spec: MlpSpec,
  q: ParamSet,
  obs: Float32Array,
  actions: Float32Array,
  n: number,
  obsDim: number,
  actDim: number,
): Float32Array {
  const out = new Float32Array(n);
  const chunk = 4096;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const v = tf.tidy(() => {
      const o = tf.tensor2d(obs.subarray(start * obsDim, (start + m) * obsDim), [m, obsDim]);
      const a = tf.tensor2d(actions.subarray(start * actDim, (start + m) * actDim), [m, actDim]);
      return mlpForward(spec, q.layers(0), tf.concat([o, a], 1) as tf.Tensor2D).dataSync() as Float32Array;
    });
    out.set(v, start);
  }
  return out;
}
