/**
 * Turns a finished training run into a policy package (RL-EVAL's src/policy/package.ts writer): actor
 * weights and normalization, actuator bounds, the support model (dataset action quantiles + a fitted
 * state-conditional behaviour model) and provenance.
 */
import type { Rng } from "../core/rng.js";
import type { TransitionColumns } from "../core/transitions.js";
import { writePolicyPackage, type PolicyPackage } from "../policy/package.js";
import { computeActionQuantiles } from "../policy/support.js";
import type { LoadedRobot } from "../robot/load.js";
import { compileTask } from "../robot/task-functions.js";
import type { PackageActorWeights } from "../policy/package.js";
import { DtLearner } from "./algos/dt.js";
import type { Learner } from "./algos/learner.js";
import { exportPolicyOnnx } from "./policy-onnx.js";
import { fitSupportModel, type SupportModelOptions } from "./support-model.js";

export interface PackageInfo {
  dataset: string;
  datasetHash: string;
  config: Record<string, unknown>;
  metrics: Record<string, unknown>;
  seed: number;
}

export function writeTrainedPackage(
  outDir: string,
  robot: LoadedRobot,
  learner: Learner,
  cols: TransitionColumns,
  info: PackageInfo,
  rng: Rng,
  supportOptions: Partial<SupportModelOptions> = {},
): { pkg: PolicyPackage; supportNll: number } {
  const task = compileTask(robot.spec);
  const actor = learner instanceof DtLearner ? dtActorWeights(learner) : learner.actorWeights();
  const support = fitSupportModel(
    cols,
    Float32Array.from(actor.obsMean),
    Float32Array.from(actor.obsStd),
    rng,
    supportOptions,
  );
  const pkg = writePolicyPackage(outDir, {
    robot: robot.spec.name,
    obsNames: task.obsNames,
    actNames: task.actNames,
    actionLow: robot.spec.actuators.map((a) => a.range[0]),
    actionHigh: robot.spec.actuators.map((a) => a.range[1]),
    actor,
    support: { quantiles: computeActionQuantiles(cols.actions, cols.actDim), conditional: support.weights },
    provenance: {
      algorithm: learner.algo,
      dataset: info.dataset,
      datasetHash: info.datasetHash,
      config: info.config,
      metrics: { ...info.metrics, "support/nll": support.nll },
      seed: info.seed,
    },
    exportOnnx: exportPolicyOnnx,
  });
  return { pkg, supportNll: support.nll };
}

/**
 * A decision transformer as the package stores it: its parameters as the model's (matrix, vector) pairs,
 * its shape and the return it is conditioned on (the learner's: `--target-return` or the dataset's best).
 */
export function dtActorWeights(learner: DtLearner): PackageActorWeights {
  const { group } = learner.model;
  const flat = learner.parameters();
  const c = learner.config;
  return {
    kind: "decision-transformer",
    obsDim: learner.dims.obsDim,
    actDim: learner.dims.actDim,
    network: {
      layers: group.specs.map((spec, i) => {
        const [inDim, outDim] = spec.sizes;
        const o = group.offsets[i];
        return {
          inDim,
          outDim,
          activation: "linear" as const,
          weight: flat.slice(o, o + inDim * outDim),
          bias: flat.slice(o + inDim * outDim, o + inDim * outDim + outDim),
        };
      }),
    },
    transformer: {
      embedDim: c.embedDim,
      layers: c.layers,
      heads: c.heads,
      contextLength: c.contextLength,
      maxEpisodeLength: c.maxEpisodeLength,
      returnScale: c.returnScale,
      targetReturn: learner.targetReturn,
    },
    obsMean: learner.dims.obsMean,
    obsStd: learner.dims.obsStd,
  };
}
