/**
 * What the policy node runs behind: the robot spec, the policy package, the shield stack, the fallback and
 * the SafetyCore, built from plain (structured-cloneable) options, so the timer path builds it on the
 * node's thread and the real-time loop (loop-tick.ts) in its worker, the same way.
 */
import type { SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import type { RobotSpec } from "../../robot/spec.js";
import type { PolicyPackage } from "../../policy/package.js";
import type { PolicyRunner } from "../../policy/runner.js";
import type { Controller } from "../../safety/fallback.js";
import type { RunLog } from "../../safety/run-log.js";
import { SafetyCore } from "../../safety/safety-core.js";
import { buildPolicyStack, type PolicyStack, type ShieldParams } from "./build-shield.js";

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
  const rateHz = o.rateHz > 0 ? o.rateHz : spec.control.rate_hz;
  const own: Controller = { act: (obs, _signals, out) => stack.runner.act(obs, out) };
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

async function makeFallback(
  choice: string,
  where: string,
  spec: RobotSpec,
  pkg: PolicyPackage,
  runner: PolicyRunner,
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
