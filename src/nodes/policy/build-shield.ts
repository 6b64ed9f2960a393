/**
 * Builds the safety stack for a robot and a policy package: the Shield (box from the package's action
 * quantiles, state-conditional support from its behavior model, rate limit, hard limits) and the observation
 * box for the out-of-distribution monitor. Shared by the policy node and, later, the fine-tune node.
 */
import { ConfigError } from "../../core/errors.js";
import type { RobotSpec } from "../../robot/spec.js";
import { compileTask } from "../../robot/task-functions.js";
import type { PolicyPackage } from "../../policy/package.js";
import { createPackageRunner, type PackageRunner } from "../../policy/package-runner.js";
import { SupportRunner } from "../../policy/runner.js";
import { quantileBox } from "../../policy/support.js";
import { actionBoxFromQuantiles } from "../../safety/clamps/action-box.js";
import { hardLimitsFromSpec } from "../../safety/clamps/hard-limits.js";
import { meanSpreadSupport, type SupportModel } from "../../safety/clamps/support-clamp.js";
import { Shield } from "../../safety/clamps/shield.js";
import { stateBoxFromStats } from "../../safety/monitors/state-support.js";

export interface ShieldParams {
  /** Quantile levels of the box (must be stored in the package). */
  boxLow: number;
  boxHigh: number;
  /** Box widening as a fraction of the quantile width. */
  boxMargin: number;
  /** Support interval half-width in behavior-model standard deviations (<= 0 disables the support clamp). */
  supportK: number;
  /** Largest change per tick, normalized units. */
  maxDelta: number;
  /** Observation box half-width in dataset standard deviations (OOD monitor). */
  stateK: number;
}

export const DEFAULT_SHIELD_PARAMS: ShieldParams = {
  boxLow: 0.005,
  boxHigh: 0.995,
  boxMargin: 0.1,
  supportK: 3,
  maxDelta: 0.25,
  stateK: 6,
};

export interface PolicyStack {
  /** The package's plain-TS policy (a DtRunner for a decision transformer). */
  runner: PackageRunner;
  shield: Shield;
  stateBox: { lo: Float64Array; hi: Float64Array };
}

/** Checks that the package was trained for this robot's observation and action layout. */
export function checkPackageFitsRobot(pkg: PolicyPackage, spec: RobotSpec): void {
  const file = `${pkg.dir}/policy.json`;
  const m = pkg.manifest;
  if (m.robot !== spec.name) {
    throw new ConfigError(file, "robot", `package was trained for robot "${m.robot}", not "${spec.name}"`);
  }
  const task = compileTask(spec);
  const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(m.observation.names, task.obsNames)) {
    throw new ConfigError(file, "observation.names", "do not match the robot's observation", {
      expected: task.obsNames.join(","),
      actual: m.observation.names.join(","),
    });
  }
  if (!same(m.action.names, task.actNames)) {
    throw new ConfigError(file, "action.names", "do not match the robot's actuators", {
      expected: task.actNames.join(","),
      actual: m.action.names.join(","),
    });
  }
}

export function buildPolicyStack(
  pkg: PolicyPackage,
  spec: RobotSpec,
  params: ShieldParams = DEFAULT_SHIELD_PARAMS,
): PolicyStack {
  checkPackageFitsRobot(pkg, spec);
  const runner = createPackageRunner(pkg);
  const q = quantileBox(pkg.support.quantiles, params.boxLow, params.boxHigh);
  const box = actionBoxFromQuantiles(q.low, q.high, {
    margin: params.boxMargin,
    source: `${pkg.dir}/policy.json support.quantiles`,
  });
  let support: SupportModel | undefined = undefined;
  const sr = params.supportK > 0 ? SupportRunner.fromPackage(pkg, runner) : undefined;
  if (sr !== undefined) {
    support = meanSpreadSupport(
      (obs, mean, spread) => sr.evaluate(obs, mean, spread),
      runner.actDim,
      params.supportK,
    );
  }
  const shield = new Shield({ limits: hardLimitsFromSpec(spec), box, support, maxDelta: params.maxDelta });
  const stateBox = stateBoxFromStats(
    pkg.manifest.observation.mean,
    pkg.manifest.observation.std,
    params.stateK,
  );
  return { runner, shield, stateBox };
}
