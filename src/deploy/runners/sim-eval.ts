/**
 * sim-eval: N episodes in MujocoEnv through policy + shield + monitors: normalized score with a 95%
 * bootstrap CI, e-stops, support gap and deadline misses; the fallback (BC) is scored the same way for the
 * report. Writes an MCAP run log.
 */
import { buildPolicyStack, DEFAULT_SHIELD_PARAMS } from "../../nodes/policy/build-shield.js";
import { controllerFromRunner } from "../../safety/fallback.js";
import { packageController } from "../../nodes/policy/package-controller.js";
import { behaviorScore, fallbackController, scoreInterval, type StageContext } from "./context.js";
import { runLogPath, runShieldedEpisodes } from "./shielded-episodes.js";
import type { StageRunResult } from "./types.js";

export async function runSimEval(ctx: StageContext, stage = "sim-eval"): Promise<StageRunResult> {
  const stack = buildPolicyStack(ctx.pkg, ctx.robot.spec, DEFAULT_SHIELD_PARAMS);
  const runLog = runLogPath(ctx.runLogDir, stage, ctx.version);
  const r = await runShieldedEpisodes({
    robot: ctx.robot,
    shield: stack.shield,
    policy: packageController(stack.runner, ctx.robot.spec),
    fallback: fallbackController(ctx),
    stateBox: stack.stateBox,
    episodes: ctx.episodes,
    seed: ctx.seed,
    runLog,
    stage,
    onEpisode: ctx.onProgress,
  });
  const score = scoreInterval(r.scores, ctx.seed);
  const behavior = behaviorScore(ctx);
  let bc = undefined;
  if (ctx.fallbackPkg) {
    const bcStack = buildPolicyStack(ctx.fallbackPkg, ctx.robot.spec, DEFAULT_SHIELD_PARAMS);
    const b = await runShieldedEpisodes({
      robot: ctx.robot,
      shield: bcStack.shield,
      policy: controllerFromRunner(bcStack.runner),
      stateBox: bcStack.stateBox,
      episodes: ctx.episodes,
      seed: ctx.seed,
      stage: `${stage}:bc`,
    });
    bc = scoreInterval(b.scores, ctx.seed);
  }
  return {
    evidence: {
      score,
      behavior_score: behavior?.mean,
      estops: r.estops,
      support_gap: r.supportGap,
      deadline_miss_ratio: r.ticks > 0 ? r.deadlineMisses / r.ticks : undefined,
    },
    runLog: r.runLog,
    events: r.events,
    baselines: { behavior, bc },
    details: {
      episodes: r.returns.length,
      ticks: r.ticks,
      policy_ticks: r.sources.policy ?? 0,
      fallback_ticks: r.sources.fallback ?? 0,
      hold_ticks: r.sources.hold ?? 0,
    },
    gapSamples: r.gapSamples,
    version: ctx.version,
  };
}
