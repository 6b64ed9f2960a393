/**
 * The run's summary, as rows of plain strings: one row per stage decision (scores, decision, safety events)
 * plus the outcome sentence. The HTML report and the terminal table both print these.
 */
import { stageLabels } from "./charts.js";
import { formatInterval, formatNumber } from "./format.js";
import type { RunSummary, StageRecord } from "./run-summary.js";

export const SUMMARY_HEADERS = [
  "stage",
  "version",
  "decision",
  "policy score [95% CI]",
  "behavior",
  "BC",
  "safety events",
];

export interface SummaryRow {
  stage: string;
  version: string;
  decision: string;
  score: string;
  behavior: string;
  bc: string;
  /** Safety events whose `stage` is this stage. */
  safety_events: number;
}

export function summaryRows(run: RunSummary): SummaryRow[] {
  const labels = stageLabels(run);
  return run.stages.map((s, i) => ({
    stage: labels[i],
    version: s.version,
    decision: s.decision,
    score: formatInterval(s.evidence.score),
    behavior: s.baselines?.behavior
      ? formatInterval(s.baselines.behavior)
      : formatNumber(s.evidence.behavior_score, 1),
    bc: formatInterval(s.baselines?.bc),
    safety_events: run.safety_events.filter((e) => e.stage === s.stage).length,
  }));
}

/** "2 warn, 1 error, 1 estop" (empty when there were none). */
export function safetyTotals(run: RunSummary): string {
  const bySeverity = new Map<string, number>();
  for (const e of run.safety_events) bySeverity.set(e.severity, (bySeverity.get(e.severity) ?? 0) + 1);
  return [...bySeverity].map(([k, n]) => `${n} ${k}`).join(", ");
}

/** One sentence: where the run ended, replaying the ledger's promote/rollback rules. */
export function outcome(stages: StageRecord[]): string {
  if (stages.length === 0) return "No stage decisions yet.";
  let version: string | null = null;
  let stage: string | null = null;
  for (const s of stages) {
    if (s.decision === "promote") {
      version = s.version;
      stage = s.stage;
    } else if (s.decision === "rollback") {
      version = s.rolled_back_to ?? null;
      stage =
        version === null
          ? null
          : ([...stages].reverse().find((e) => e.version === version && e.decision === "promote")?.stage ??
            null);
    }
  }
  const last = stages[stages.length - 1];
  const lastWord =
    last.decision === "promote" ? "passed" : last.decision === "hold" ? "held at" : "rolled back at";
  const active =
    version === null ? "no version is promoted" : `active: ${version}, promoted through ${stage}`;
  return `Last decision: ${last.version} ${lastWord} ${last.stage} — ${active}.`;
}
