/**
 * Stage gates: configurable thresholds (gates.yaml) that decide on confidence intervals, never bare means.
 * A gate that lacks its evidence fails: a stage cannot pass on a metric nobody measured.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { zodToConfigError } from "../robot/load.js";
import { STAGES, type Stage } from "./stages.js";

const StageGatesSchema = z.strictObject({
  /** The 95% CI lower bound of the policy's normalized score must reach the behavior's mean minus this. */
  score_margin: z.number().min(0).optional(),
  /** E-stops allowed during the stage (0 for every stage by default). */
  max_estops: z.number().int().min(0).default(0),
  /** Mean distance between policy and dataset actions, in normalized action units. */
  max_support_gap: z.number().positive().optional(),
  /** Shadow: control ticks with an error the policy's own output caused (crash, late or non-finite action). */
  max_policy_faults: z.number().int().min(0).optional(),
  /** Fraction of control ticks whose policy output came too late. */
  max_deadline_miss_ratio: z.number().min(0).max(1).optional(),
  /** Shadow: fraction of ticks whose action agrees with the logged action within agreement_tolerance. */
  min_agreement: z.number().min(0).max(1).optional(),
  agreement_tolerance: z.number().positive().default(0.25),
});
export type StageGates = z.infer<typeof StageGatesSchema>;

export const GatesConfigSchema = z.strictObject(
  Object.fromEntries(STAGES.map((s) => [s, StageGatesSchema.optional()])) as Record<
    Stage,
    z.ZodOptional<typeof StageGatesSchema>
  >,
);
export type GatesConfig = z.infer<typeof GatesConfigSchema>;

/** Defaults a robotics engineer would sign: no e-stops anywhere, tighter evidence the closer to hardware. */
export const DEFAULT_GATES: GatesConfig = {
  "offline-eval": { max_estops: 0, max_support_gap: 0.5, agreement_tolerance: 0.25 },
  "sim-eval": { score_margin: 5, max_estops: 0, max_support_gap: 0.5, agreement_tolerance: 0.25 },
  "sim-finetune": { score_margin: 5, max_estops: 0, agreement_tolerance: 0.25 },
  // Agreement with logged actions is reported, not gated: a policy meant to beat noisy logged behavior
  // disagrees with it by design (0.14 for an IQL policy that beats reacher2-medium by 15 points). Set
  // min_agreement in gates.yaml where the logs come from the behavior the policy must match.
  shadow: { max_estops: 0, max_policy_faults: 0, max_support_gap: 0.5, agreement_tolerance: 0.25 },
  canary: { score_margin: 5, max_estops: 0, max_deadline_miss_ratio: 0.001, agreement_tolerance: 0.25 },
  full: { score_margin: 5, max_estops: 0, max_deadline_miss_ratio: 0.001, agreement_tolerance: 0.25 },
};

export function loadGates(file: string): GatesConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(file, "(yaml)", (err as Error).message.split("\n")[0], { cause: err });
  }
  const parsed = GatesConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw zodToConfigError(file, parsed.error);
  return { ...DEFAULT_GATES, ...parsed.data };
}

/** What a stage run measured. Scores are normalized (D4RL); CIs are 95% bootstrap intervals. */
export interface StageEvidence {
  score?: { mean: number; ci_low: number; ci_high: number };
  behavior_score?: number;
  estops?: number;
  /** Shadow: control ticks with an error event that judges the policy's output. */
  policy_faults?: number;
  support_gap?: number;
  deadline_miss_ratio?: number;
  agreement?: number;
}

export interface GateCheck {
  gate: string;
  passed: boolean;
  observed: number | null;
  threshold: number;
  rule: string;
}

export function evaluateGates(
  stage: Stage,
  gates: StageGates | undefined,
  evidence: StageEvidence,
): GateCheck[] {
  const g = gates ?? { max_estops: 0, agreement_tolerance: 0.25 };
  const checks: GateCheck[] = [];
  const upper = (gate: string, observed: number | undefined, threshold: number, rule: string): void => {
    checks.push({
      gate,
      observed: observed ?? null,
      threshold,
      rule,
      passed: observed !== undefined && observed <= threshold,
    });
  };
  const lower = (gate: string, observed: number | undefined, threshold: number, rule: string): void => {
    checks.push({
      gate,
      observed: observed ?? null,
      threshold,
      rule,
      passed: observed !== undefined && observed >= threshold,
    });
  };
  if (g.score_margin !== undefined) {
    const behavior = evidence.behavior_score;
    const threshold = behavior === undefined ? Number.NaN : behavior - g.score_margin;
    lower(
      "score_ci_low",
      evidence.score?.ci_low,
      threshold,
      `95% CI low of normalized score >= behavior (${behavior?.toFixed(1) ?? "unknown"}) - ${g.score_margin}`,
    );
  }
  upper("estops", evidence.estops, g.max_estops, `e-stops <= ${g.max_estops}`);
  if (g.max_policy_faults !== undefined)
    upper(
      "policy_faults",
      evidence.policy_faults,
      g.max_policy_faults,
      `ticks with a policy fault <= ${g.max_policy_faults}`,
    );
  if (g.max_support_gap !== undefined)
    upper("support_gap", evidence.support_gap, g.max_support_gap, `support gap <= ${g.max_support_gap}`);
  if (g.max_deadline_miss_ratio !== undefined)
    upper(
      "deadline_miss_ratio",
      evidence.deadline_miss_ratio,
      g.max_deadline_miss_ratio,
      `deadline misses <= ${g.max_deadline_miss_ratio}`,
    );
  if (g.min_agreement !== undefined)
    lower(
      "agreement",
      evidence.agreement,
      g.min_agreement,
      `agreement with logged actions >= ${g.min_agreement}`,
    );
  void stage;
  return checks;
}
