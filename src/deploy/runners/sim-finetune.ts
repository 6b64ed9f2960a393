/**
 * sim-finetune: online fine-tuning in MujocoEnv behind the shield through the fine-tune job
 * (src/nodes/finetune/finetune-job.ts). The evidence is the best saved version's evaluation (95% CI); when no
 * evaluation beat the offline policy, no version is saved and the stage's version stays the offline one.
 * E-stops: every fine-tune action passes the SafetyCore monitors, whose latch ends the run on a fatal event;
 * that e-stop counts, and so does each of the loop's `violations` (shielded actions that still failed the
 * limit re-check and were not sent: none may ever happen, so the gate treats one like an e-stop).
 */
import type { MetricSeries } from "../../report/run-summary.js";
import { behaviorScore, type StageContext } from "./context.js";
import type { StageRunResult } from "./types.js";

export interface SimFinetuneResult extends StageRunResult {
  curve: MetricSeries;
  packageDir: string;
}

export async function runSimFinetune(ctx: StageContext, envSteps: number): Promise<SimFinetuneResult> {
  const { runFinetuneJob } = await import("../../nodes/finetune/finetune-job.js");
  const evalEvery = Math.max(1, Math.floor(envSteps / 2));
  const r = await runFinetuneJob({
    model: ctx.pkg.dir,
    robot: ctx.robot.spec.name,
    columns: ctx.dataset,
    envSteps,
    ratio: 0.5,
    updatesPerStep: 0.25,
    evalEvery,
    evalEpisodes: Math.max(2, ctx.episodes),
    batchSize: 256,
    seed: ctx.seed,
    explorationStd: 0.1,
    plot: false,
    onProgress: (step) => ctx.onProgress?.(step, envSteps),
  });
  const best = r.versions.reduce<(typeof r.versions)[number] | undefined>(
    (a, v) => (a === undefined || v.score > a.score ? v : a),
    undefined,
  );
  const last = r.curve.at(-1);
  const pick = best ?? last;
  return {
    evidence: {
      score: pick ? { mean: pick.score, ci_low: pick.ci_low, ci_high: pick.ci_high } : undefined,
      estops: (r.estop ? 1 : 0) + r.violations,
      behavior_score: behaviorScore(ctx)?.mean,
    },
    events: [],
    details: {
      env_steps: r.env_steps,
      updates: r.updates,
      baseline_score: r.baseline_score,
      best_score: r.best_score,
      gain: r.gain,
      violations: r.violations,
      estop: r.estop ? `${r.estop.monitor}: ${r.estop.message} (env step ${r.estop.env_step})` : null,
      filtered: r.filtered,
      ood_states: r.ood_states,
      versions_saved: r.versions.length,
      curve_file: r.curve_file,
    },
    version: best?.version ?? ctx.version,
    packageDir: best?.dir ?? ctx.pkg.dir,
    curve: {
      run: "iql-finetune",
      metric: "eval/normalized_score",
      points: r.curve.map((p) => ({
        step: p.env_step,
        value: p.score,
        ci_low: p.ci_low,
        ci_high: p.ci_high,
      })),
    },
  };
}
