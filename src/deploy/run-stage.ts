/**
 * Runs one stage of the ladder for a policy package, decides with the gates and records the decision in the
 * package's ledger (<package>/stages.json). A failed canary or full stage rolls back (recordStage).
 */
import type { GatesConfig } from "./gates.js";
import { evaluateGates } from "./gates.js";
import { recordStage, type LedgerEntry } from "./ledger.js";
import type { Stage } from "./stages.js";
import type { StageContext } from "./runners/context.js";
import type { StageRunResult } from "./runners/types.js";
import type { BehaviorLevel } from "../robot/behaviors/index.js";

export interface RunStageOptions {
  gates: GatesConfig;
  /** Canary: fraction of ticks the policy acts. */
  canaryFraction: number;
  /** Shadow: behavior level that runs the live robot. */
  shadowBehavior: BehaviorLevel;
  finetuneSteps: number;
  /** Ledger folder (the model folder); default the package folder. */
  modelDir?: string;
  modelName?: string;
}

export interface StageOutcome {
  stage: Stage;
  entry: LedgerEntry;
  result: StageRunResult;
}

export async function runStageRunner(
  stage: Stage,
  ctx: StageContext,
  options: RunStageOptions,
): Promise<StageRunResult> {
  const tol = options.gates.shadow?.agreement_tolerance ?? 0.25;
  switch (stage) {
    case "offline-eval":
      return (await import("./runners/offline-eval.js")).runOfflineEval(ctx);
    case "sim-eval":
      return (await import("./runners/sim-eval.js")).runSimEval(ctx);
    case "sim-finetune":
      return (await import("./runners/sim-finetune.js")).runSimFinetune(ctx, options.finetuneSteps);
    case "shadow":
      return (await import("./runners/shadow.js")).runShadow(ctx, {
        tolerance: tol,
        behavior: options.shadowBehavior,
      });
    case "canary":
      return (await import("./runners/canary.js")).runCanary(ctx, options.canaryFraction, "canary");
    case "full":
      return (await import("./runners/canary.js")).runCanary(ctx, 1, "full");
  }
}

export async function runStage(
  stage: Stage,
  ctx: StageContext,
  options: RunStageOptions,
): Promise<StageOutcome> {
  const result = await runStageRunner(stage, ctx, options);
  const checks = evaluateGates(stage, options.gates[stage], result.evidence);
  const modelDir = options.modelDir ?? ctx.pkg.dir;
  const entry = recordStage(
    modelDir,
    options.modelName ?? ctx.pkg.manifest.robot,
    stage,
    result.version ?? ctx.version,
    checks,
    result.evidence,
    result.runLog,
  );
  return { stage, entry, result };
}
