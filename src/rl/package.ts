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
  const actor = learner.actorWeights();
  const support = fitSupportModel(cols, actor.obsMean, actor.obsStd, rng, supportOptions);
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
