/**
 * The state-conditional behaviour model shipped in policy packages for the support clamps: a small
 * Gaussian MLP N(tanh(mean(s)), exp(logStd(s))) fitted to the dataset's actions by maximum likelihood
 * (BC mean and spread). Log-std is hard-clipped, the form src/policy's ConditionalSupport evaluates.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../core/rng.js";
import type { TransitionColumns } from "../core/transitions.js";
import type { ConditionalSupportWeights } from "../policy/support.js";
import { batchTensors, completeDims } from "./algos/learner.js";
import { GaussianActor, LOG_STD_MAX, LOG_STD_MIN, weightedLikelihood } from "./networks/actor.js";
import { ADAM_DEFAULTS } from "./networks/adam.js";
import { TransitionSampler } from "./replay.js";

export interface SupportModelOptions {
  hidden: number[];
  steps: number;
  batchSize: number;
  lr: number;
}

export const SUPPORT_MODEL_DEFAULTS: SupportModelOptions = {
  hidden: [64, 64],
  steps: 2000,
  batchSize: 256,
  lr: 1e-3,
};

export function fitSupportModelTfjs(
  cols: TransitionColumns,
  obsMean: Float32Array,
  obsStd: Float32Array,
  rng: Rng,
  options: Partial<SupportModelOptions> = {},
): { weights: ConditionalSupportWeights; nll: number } {
  const o = { ...SUPPORT_MODEL_DEFAULTS, ...options };
  const dims = completeDims({ obsDim: cols.obsDim, actDim: cols.actDim, obsMean, obsStd });
  const model = new GaussianActor(
    cols.obsDim,
    cols.actDim,
    o.hidden,
    rng.fork(),
    { ...ADAM_DEFAULTS, lr: o.lr },
    "hard",
  );
  const sampler = new TransitionSampler(cols, Math.min(o.batchSize, Math.max(1, cols.size)));
  let nll = NaN;
  try {
    for (let i = 0; i < o.steps; i++) {
      const batch = sampler.sample(rng);
      const loss = tf.tidy(() => {
        const b = batchTensors(batch, dims, 0);
        const fwd = model.forward(b.obs);
        const terms = weightedLikelihood(fwd, b.act, tf.ones([batch.size, 1]) as tf.Tensor2D);
        model.optimizer.apply(model.backward(fwd, terms.dMean, terms.dLogStd));
        return i === o.steps - 1 ? terms.loss.dataSync()[0] : NaN;
      });
      if (i === o.steps - 1) nll = loss;
    }
    return {
      weights: {
        layers: model.params.exportNetwork(0).layers,
        logStdMin: LOG_STD_MIN,
        logStdMax: LOG_STD_MAX,
        squashMean: true,
      },
      nll,
    };
  } finally {
    model.dispose();
  }
}
