/**
 * What the policy node runs behind: the robot spec, the policy package, the shield stack, the fallback and
 * the SafetyCore, built from plain (structured-cloneable) options, so the timer path builds it on the
 * node's thread and the real-time loop (loop-tick.ts) in its worker, the same way.
 */
import type { SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import type { RobotSpec } from "../../robot/spec.js";
import type { PolicyPackage } from "../../policy/package.js";
import { DtRunner } from "../../policy/dt-runner.js";
import type { PackageRunner } from "../../policy/package-runner.js";
import type { Controller } from "../../safety/fallback.js";
import type { RunLog } from "../../safety/run-log.js";
import { SafetyCore } from "../../safety/safety-core.js";
import { buildPolicyStack, type PolicyStack, type ShieldParams } from "./build-shield.js";
import { packageController } from "./package-controller.js";

export interface PolicyCoreOptions {
  /** Who reports errors ("node /policy"). */
  where: string;
  robot: string;
  model: string;
  fallback: string;
  /** 0: robot.yaml control.rate_hz. */
  rateHz: number;
  params: ShieldParams;
  frozenRepeats: number;
  returnWindow: number;
  returnBaseline: number;
  returnMaxDrop: number;
  shadow: boolean;
  /**
   * A decision transformer's target return (raw, the return it is conditioned on at each episode start);
   * undefined: the package's own (the dataset's best episode return). Set for any other package: an error.
   */
  targetReturn?: number;
}

export interface PolicyCoreParts {
  spec: RobotSpec;
  pkg: PolicyPackage;
  modelDir: string;
  stack: PolicyStack;
  rateHz: number;
  fallback: Controller | undefined;
  /** A fresh SafetyCore over these parts; `policy` replaces the package's own (e.g. a WorkerPolicy). */
  makeCore(scheduler: SchedulerLike, log: RunLog, policy?: Controller): SafetyCore;
}

export async function loadPolicyCore(o: PolicyCoreOptions): Promise<PolicyCoreParts> {
  const { loadRobot } = await import("../../robot/load.js");
  const { loadPolicyPackage, resolvePackageDir } = await import("../../policy/package.js");
  const spec = loadRobot(o.robot).spec;
  const modelDir = resolvePackageDir(o.model, "model");
  const pkg = loadPolicyPackage(modelDir);
  const stack = buildPolicyStack(pkg, spec, o.params);
  if (o.targetReturn !== undefined) conditionPolicy(stack.runner, o.targetReturn, o.where, pkg);
  const rateHz = o.rateHz > 0 ? o.rateHz : spec.control.rate_hz;
  const own: Controller = packageController(stack.runner, spec);
  const fallback = await makeFallback(o.fallback, o.where, spec, pkg, stack.runner);
  const makeCore = (scheduler: SchedulerLike, log: RunLog, policy: Controller = own): SafetyCore =>
    new SafetyCore({
      spec,
      shield: stack.shield,
      policy,
      fallback,
      scheduler,
      budgetMs: 1000 / rateHz,
      frozenRepeats: o.frozenRepeats,
      stateBox: stack.stateBox,
      supportGap: { window: Math.max(1, Math.round(rateHz)), warnAbove: 0.05, errorAbove: 0.25 },
      returnCollapse:
        o.returnWindow > 0
          ? { window: o.returnWindow, baseline: o.returnBaseline, maxDrop: o.returnMaxDrop }
          : undefined,
      log,
      shadow: o.shadow,
    });
  return { spec, pkg, modelDir, stack, rateHz, fallback, makeCore };
}

/**
 * Conditions a decision transformer on `targetReturn` for every episode from now on. An MLP package has
 * nothing to condition: the parameter is an error rather than a warning, because an engineer who sets it
 * expects return conditioning, and a package without it is most likely the wrong one deployed.
 */
export function conditionPolicy(
  runner: PackageRunner,
  targetReturn: number,
  where: string,
  pkg: PolicyPackage,
): void {
  if (!Number.isFinite(targetReturn))
    throw new ConfigError(where, "target_return", "must be a finite number", {
      actual: String(targetReturn),
    });
  if (!(runner instanceof DtRunner))
    throw new ConfigError(
      where,
      "target_return",
      `only a decision-transformer package is conditioned on a return; ${pkg.dir} is a ${pkg.manifest.policy.kind} package`,
      { actual: String(targetReturn) },
    );
  runner.reset(targetReturn);
}

async function makeFallback(
  choice: string,
  where: string,
  spec: RobotSpec,
  pkg: PolicyPackage,
  runner: PackageRunner,
): Promise<Controller | undefined> {
  const { SupportRunner } = await import("../../policy/runner.js");
  const behaviors = await import("../../robot/behaviors/index.js");
  const bc = (): Controller | undefined => {
    const sr = SupportRunner.fromPackage(pkg, runner);
    if (sr === undefined) return undefined;
    const std = new Float64Array(runner.actDim);
    return { act: (obs, _s, out) => sr.evaluate(obs, out, std) };
  };
  const behavior = (level: string): Controller => {
    if (!(behaviors.BEHAVIOR_LEVELS as readonly string[]).includes(level)) {
      throw new ConfigError(where, "fallback", `unknown behavior level "${level}"`, {
        expected: behaviors.BEHAVIOR_LEVELS.join("|"),
      });
    }
    const ctl = behaviors.makeBehavior(spec, level as (typeof behaviors.BEHAVIOR_LEVELS)[number], 0);
    return { act: (_obs, signals, out) => ctl.act(signals, out) };
  };
  if (choice === "none") return undefined;
  if (choice === "bc") {
    const c = bc();
    if (c === undefined)
      throw new ConfigError(
        where,
        "fallback",
        "bc needs a behavior model in the policy package (support.conditional)",
      );
    return c;
  }
  if (choice.startsWith("behavior:")) return behavior(choice.slice("behavior:".length));
  if (choice === "auto") {
    const c = bc();
    if (c !== undefined) return c;
    if (behaviors.hasExpertBehavior(spec.name)) return behavior("expert");
    return undefined;
  }
  throw new ConfigError(where, "fallback", `unknown fallback "${choice}"`, {
    expected: "auto | bc | behavior:<level> | none",
  });
}
