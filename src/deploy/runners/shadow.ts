/**
 * shadow: the policy runs behind the shield with `shadow: true` — it computes, is monitored and logged, and
 * never publishes a command. Two sources of states:
 *   1. the replayed dataset: at every logged observation, the policy's action is compared with the logged
 *      action (agreement = fraction of ticks whose every dimension is within `tolerance`, normalized units);
 *   2. live topics: the sim robot run by its own behavior controller (what the dataset's robot ran), the
 *      SafetyCore ticking on its /joint_states in shadow mode: agreement with the commands the robot really
 *      ran, the rolling support gap, safety events, and the count of commands the shadow published (0).
 * The gates judge the candidate, not the robot's driver: `estops` and `policy_faults` count only events that
 * judge the policy's output (a crash, a late or non-finite action). An e-stop the behavior-driven robot
 * trips itself (a joint limit) does not latch the shadow core; it is reported as `robot_estops`.
 * The MCAP run log holds the robot's own commands, /joint_states, /diagnostics and /clock.
 *
 * A decision transformer is conditioned on a return-to-go that each reward lowers, as in eval: in the
 * replay, each episode starts at the package's target and every logged step records its logged action and
 * reward; live, the node's controller (package-controller.ts) records the command the robot applied and the
 * robot's reward expression on the observed signals (robot.yaml `reward`, required by its schema, so every
 * robot has one). `details.dt_return_to_go_end`: the mean return-to-go the live episodes ended on, which is
 * `dt_target_return` less `live_mean_return` (the mean live episode return, every step's reward counted).
 */
import { meanOrNull } from "../../core/mean.js";
import { TetherError } from "../../core/errors.js";
import { buildPolicyStack, DEFAULT_SHIELD_PARAMS } from "../../nodes/policy/build-shield.js";
import { makeBehavior, type BehaviorLevel } from "../../robot/behaviors/index.js";
import { commandTopic } from "../../robot/spec.js";
import { scaleAction } from "../../robot/task-functions.js";
import { packageController } from "../../nodes/policy/package-controller.js";
import { DtRunner } from "../../policy/dt-runner.js";
import { SafetyCore } from "../../safety/safety-core.js";
import { ClockScheduler } from "../../safety/loop/clock-scheduler.js";
import { toDiagnosticArray } from "../../safety/diagnostics.js";
import { RunLogWriter } from "../../data/runlog/run-log-writer.js";
import { eventRecord, type SafetyEventRecord } from "../../report/run-summary.js";
import { judgesPolicyOutput, SEVERITY_RANK } from "../../safety/events.js";
import { behaviorScore, type StageContext } from "./context.js";
import { runLogPath, thin } from "./shielded-episodes.js";
import type { StageRunResult } from "./types.js";

/** A shadow run published a command: this must never happen; the stage fails hard. */
export class ShadowPublishedError extends TetherError {
  constructor(count: number) {
    super("SHADOW_PUBLISHED", `the shadow run published ${count} command(s)`, { count });
  }
}

export interface ShadowOptions {
  tolerance: number;
  /** Behavior level that runs the live robot (the dataset's level). */
  behavior: BehaviorLevel;
}

export function withinTolerance(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  for (let j = 0; j < a.length; j++) if (!(Math.abs(a[j] - b[j]) <= tol)) return false;
  return true;
}

export async function runShadow(ctx: StageContext, options: ShadowOptions): Promise<StageRunResult> {
  const spec = ctx.robot.spec;
  const stack = buildPolicyStack(ctx.pkg, spec, DEFAULT_SHIELD_PARAMS);
  const { obsDim, actDim } = ctx.dataset;

  // 1. replayed dataset
  const data = ctx.dataset;
  const a = new Float64Array(actDim);
  const dt = stack.runner instanceof DtRunner ? stack.runner : undefined;
  let agreeReplay = 0;
  for (let i = 0; i < data.size; i++) {
    const obs = data.observations.subarray(i * obsDim, (i + 1) * obsDim);
    const logged = data.actions.subarray(i * actDim, (i + 1) * actDim);
    if (dt && (i === 0 || data.episodes[i] !== data.episodes[i - 1])) dt.reset();
    stack.runner.act(obs, a);
    if (withinTolerance(a, logged, options.tolerance)) agreeReplay++;
    if (dt) {
      dt.recordAction(logged);
      dt.reward(data.rewards[i]);
    }
  }
  dt?.reset();

  // 2. live topics (sim robot under its own controller), policy in shadow
  const { MujocoEnv } = await import("../../sim/mujoco-env.js");
  const env = await MujocoEnv.create(ctx.robot, { seed: ctx.seed });
  const scheduler = new ClockScheduler(0);
  // The node's controller: a decision transformer's context gets the applied command and its reward.
  const policy = packageController(stack.runner, spec);
  const returnToGoEnd: number[] = [];
  const liveReturns: number[] = [];
  // One SafetyCore per episode (see shielded-episodes.ts: a long-lived core on the manual clock overflows).
  const makeCore = (): SafetyCore =>
    new SafetyCore({
      spec,
      shield: stack.shield,
      policy,
      scheduler,
      stateBox: stack.stateBox,
      shadow: true,
    });
  let core = makeCore();
  const behavior = makeBehavior(spec, options.behavior, ctx.seed + 3);
  const runLog = runLogPath(ctx.runLogDir, "shadow", ctx.version);
  const log = await RunLogWriter.create(runLog, { metadata: { stage: "shadow", robot: spec.name } });
  const cmdTopic = commandTopic(spec);
  const names = spec.joints.map((j) => j.name);
  const nj = names.length;
  const layout = core.task.layout;
  const behaviorAction = new Float64Array(actDim);
  const behaviorCommand = new Float64Array(actDim);
  const events: SafetyEventRecord[] = [];
  const gaps: number[] = [];
  let ticks = 0;
  let agreeLive = 0;
  let published = 0;
  let estops = 0;
  let robotEstops = 0;
  let policyEvaluatedTicks = 0;
  let policyFaults = 0;
  let simMs = 0;
  try {
    for (let ep = 0; ep < ctx.episodes; ep++) {
      if (ep > 0) core = makeCore();
      policy.reset?.();
      env.reset(ctx.seed * 1000 + 500 + ep);
      behavior.reset(ctx.seed * 1000 + 500 + ep);
      let robotEstop = false;
      let ret = 0;
      for (let t = 0; t < env.maxEpisodeSteps; t++) {
        simMs += core.periodMs;
        scheduler.advanceTo(simMs);
        const tNs = BigInt(Math.round(simMs * 1e6));
        const sig = env.signals();
        if (!core.estop.engaged) policyEvaluatedTicks++;
        const out = core.tick(simMs, sig);
        ticks++;
        if (out.events.some((e) => SEVERITY_RANK[e.severity] >= SEVERITY_RANK.error && judgesPolicyOutput(e)))
          policyFaults++;
        if (out.events.some((e) => e.severity === "fatal" && !judgesPolicyOutput(e))) robotEstop = true;
        if (out.publish) published++;
        gaps.push(out.supportGap);
        behavior.act(sig, behaviorAction);
        if (withinTolerance(out.policyAction, behaviorAction, options.tolerance)) agreeLive++;
        scaleAction(spec, behaviorAction, behaviorCommand);
        log.clock(tNs);
        log.jointState(
          tNs,
          names,
          sig.subarray(layout.position, layout.position + nj),
          sig.subarray(layout.velocity, layout.velocity + nj),
          sig.subarray(layout.effort, layout.effort + nj),
        );
        log.command(cmdTopic, tNs, behaviorCommand);
        if (out.events.length > 0) {
          for (const e of out.events) events.push(eventRecord(e, "shadow"));
          log.diagnostics(tNs, toDiagnosticArray(out.events, simMs / 1000, spec.name).status);
        }
        const step = env.stepActuators(behaviorCommand);
        ret += step.reward;
        if (step.terminated || step.truncated) break;
      }
      liveReturns.push(ret);
      // The last command's outcome comes after the last tick (as in canary): without it the return-to-go
      // would end one reward short of the target less the episode's return.
      policy.finish?.(env.signals());
      if (dt) returnToGoEnd.push(dt.currentReturnToGo);
      if (core.estop.engaged) estops++;
      if (robotEstop) robotEstops++;
      core.close();
      ctx.onProgress?.(ep + 1, ctx.episodes);
    }
  } finally {
    core.close();
    env.close();
    await log.close();
  }
  if (published > 0) throw new ShadowPublishedError(published);
  const behaviorCI = behaviorScore(ctx);
  const gapMean = gaps.length > 0 ? gaps.reduce((s, x) => s + x, 0) / gaps.length : undefined;
  return {
    evidence: {
      agreement: data.size > 0 ? agreeReplay / data.size : undefined,
      support_gap: gapMean,
      estops,
      policy_faults: policyFaults,
      behavior_score: behaviorCI?.mean,
    },
    runLog,
    events,
    details: {
      replay_transitions: data.size,
      replay_agreement: data.size > 0 ? agreeReplay / data.size : null,
      live_ticks: ticks,
      policy_evaluated_ticks: policyEvaluatedTicks,
      robot_estops: robotEstops,
      live_agreement: ticks > 0 ? agreeLive / ticks : null,
      live_mean_return: meanOrNull(liveReturns),
      commands_published: published,
      tolerance: options.tolerance,
      ...(dt && {
        dt_target_return: dt.targetReturn,
        dt_return_to_go_end: returnToGoEnd.reduce((x, y) => x + y, 0) / Math.max(1, returnToGoEnd.length),
      }),
    },
    gapSamples: thin(gaps, 2000),
    baselines: behaviorCI ? { behavior: behaviorCI } : undefined,
    version: ctx.version,
  };
}
