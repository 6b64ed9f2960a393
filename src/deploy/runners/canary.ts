/**
 * canary: the sim robot stands in for hardware (the same tick the policy node runs on /joint_states).
 * The policy acts on `fraction` of the ticks, the fallback (BC or the behavior model) on the rest, all
 * under tightened clamps (no box margin, a smaller rate limit, a narrower support interval). The caller
 * records the decision with recordStage, which rolls back on a gate trip.
 *
 * A decision transformer takes every tick into its context, the fallback's too (mixedController), with the
 * command the robot applied and its reward: `details.dt_return_to_go_end`, the mean return-to-go its
 * episodes ended on, is `dt_target_return` less `mean_return`.
 */
import { meanOrNull } from "../../core/mean.js";
import {
  buildPolicyStack,
  DEFAULT_SHIELD_PARAMS,
  type ShieldParams,
} from "../../nodes/policy/build-shield.js";
import { packageController } from "../../nodes/policy/package-controller.js";
import { DtRunner } from "../../policy/dt-runner.js";
import { behaviorScore, fallbackController, scoreInterval, type StageContext } from "./context.js";
import { runLogPath, runShieldedEpisodes } from "./shielded-episodes.js";
import type { StageRunResult } from "./types.js";

/** Tightened clamps for the canary: no margin on the box, half the rate limit, 2 σ support. */
export const CANARY_SHIELD_PARAMS: ShieldParams = {
  ...DEFAULT_SHIELD_PARAMS,
  boxMargin: 0,
  maxDelta: DEFAULT_SHIELD_PARAMS.maxDelta / 2,
  supportK: 2,
};

export async function runCanary(
  ctx: StageContext,
  fraction: number,
  stage: "canary" | "full" = "canary",
): Promise<StageRunResult> {
  const stack = buildPolicyStack(
    ctx.pkg,
    ctx.robot.spec,
    stage === "canary" ? CANARY_SHIELD_PARAMS : DEFAULT_SHIELD_PARAMS,
  );
  const runLog = runLogPath(ctx.runLogDir, stage, ctx.version);
  const dt = stack.runner instanceof DtRunner ? stack.runner : undefined;
  const returnToGoEnd: number[] = [];
  const r = await runShieldedEpisodes({
    robot: ctx.robot,
    shield: stack.shield,
    policy: packageController(stack.runner, ctx.robot.spec),
    fallback: fallbackController(ctx),
    stateBox: stack.stateBox,
    episodes: ctx.episodes,
    seed: ctx.seed + 17,
    policyFraction: stage === "canary" ? fraction : 1,
    runLog,
    stage,
    onEpisode: (done, total) => {
      if (dt) returnToGoEnd.push(dt.currentReturnToGo);
      ctx.onProgress?.(done, total);
    },
  });
  const behavior = behaviorScore(ctx);
  return {
    evidence: {
      score: scoreInterval(r.scores, ctx.seed),
      behavior_score: behavior?.mean,
      estops: r.estops,
      support_gap: r.supportGap,
      deadline_miss_ratio: r.ticks > 0 ? r.deadlineMisses / r.ticks : undefined,
    },
    runLog: r.runLog,
    events: r.events,
    baselines: { behavior },
    details: {
      policy_fraction: stage === "canary" ? fraction : 1,
      ticks: r.ticks,
      deadline_misses: r.deadlineMisses,
      published: r.published,
      mixed_fallback_ticks: r.mixFallbackTicks,
      error_fallback_ticks: r.sources.fallback ?? 0,
      mean_return: meanOrNull(r.returns),
      ...(dt && { dt_target_return: dt.targetReturn, dt_return_to_go_end: meanOrNull(returnToGoEnd) }),
    },
    gapSamples: r.gapSamples,
    version: ctx.version,
  };
}
