/**
 * What every stage runner returns: the evidence the gates decide on, plus what the report shows
 * (safety events, baseline scores, MCAP run log path) and stage-specific figures.
 */
import type { StageEvidence } from "../gates.js";
import type { SafetyEventRecord, ScoreInterval } from "../../report/run-summary.js";

export interface StageRunResult {
  evidence: StageEvidence;
  /** MCAP run log written by this stage (sim, shadow, canary). */
  runLog?: string;
  events: SafetyEventRecord[];
  baselines?: { behavior?: ScoreInterval; bc?: ScoreInterval };
  /** Stage-specific figures (FQE value, outside-box fraction, replay divergence, ...). */
  details: Record<string, number | string | null>;
  /** Support-gap samples (per tick or per dataset state), for the report's histogram. */
  gapSamples?: number[];
  /** Version the stage produced (sim-finetune) or ran. */
  version?: string;
}
