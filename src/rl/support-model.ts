/**
 * The state-conditional behaviour model shipped in policy packages for the support clamps: a small
 * Gaussian MLP N(tanh(mean(s)), exp(logStd(s))) fitted to the dataset's actions by maximum likelihood
 * (BC mean and spread), on the training engine. Log-std is hard-clipped, the form src/policy's
 * ConditionalSupport evaluates.
 */
import type { Rng } from "../core/rng.js";
import type { TransitionColumns } from "../core/transitions.js";
import { ADAM_DEFAULTS } from "../tensor/optim.js";
import type { ConditionalSupportWeights } from "../policy/support.js";
import { gaussianLogProb, normalizedObs } from "./algos/graph-nets.js";
import { GraphTrainer } from "./algos/graph-trainer.js";
import { completeDims } from "./algos/learner.js";
import { gaussianActorSpec, LOG_STD_MAX, LOG_STD_MIN } from "./networks/actor-spec.js";
import { mlpGraph, ParamGroup } from "./networks/graph-mlp.js";
import { initParams } from "./networks/mlp-spec.js";
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

export function fitSupportModel(
  cols: TransitionColumns,
  obsMean: Float32Array,
  obsStd: Float32Array,
  rng: Rng,
  options: Partial<SupportModelOptions> = {},
): { weights: ConditionalSupportWeights; nll: number } {
  const o = { ...SUPPORT_MODEL_DEFAULTS, ...options };
  const dims = completeDims({ obsDim: cols.obsDim, actDim: cols.actDim, obsMean, obsStd });
  const spec = gaussianActorSpec(cols.obsDim, cols.actDim, o.hidden);
  const group = new ParamGroup("actor", [spec]);
  const trainer = new GraphTrainer(
    "support_model",
    [{ group, init: initParams([spec], rng.fork()), adam: { ...ADAM_DEFAULTS, lr: o.lr } }],
    (g, nets, n, optimize) => {
      const obs = normalizedObs(g, g.input("observations", [n, dims.obsDim]), dims);
      const out = mlpGraph(g, spec, nets[group.name].layers(0), obs);
      const head = {
        mean: g.slice(out, 1, 0, dims.actDim),
        logStd: g.clip(g.slice(out, 1, dims.actDim, 2 * dims.actDim), LOG_STD_MIN, LOG_STD_MAX),
      };
      // Negative log-likelihood of the dataset actions, averaged over the batch.
      const loss = g.neg(g.mean(gaussianLogProb(g, head, g.input("actions", [n, dims.actDim]))));
      optimize(group.name, loss);
      return { metrics: { loss } };
    },
  );
  const sampler = new TransitionSampler(cols, Math.min(o.batchSize, Math.max(1, cols.size)));
  let nll = NaN;
  try {
    for (let i = 0; i < o.steps; i++) {
      const batch = sampler.sample(rng);
      const m = trainer.update({ observations: batch.observations, actions: batch.actions }, batch.size);
      if (i === o.steps - 1) nll = m.loss;
    }
    return {
      weights: {
        layers: group.exportNetwork(0, trainer.read(group.name)).layers,
        logStdMin: LOG_STD_MIN,
        logStdMax: LOG_STD_MAX,
        squashMean: true,
      },
      nll,
    };
  } finally {
    trainer.dispose();
  }
}
