/**
 * The summary table for the terminal (what `tether demo` prints at the end): scores per stage, safety
 * events, and the paths to the model and the report. Plain text, aligned columns, no colors.
 */
import { severitiesByStage } from "./event-groups.js";
import { formatDuration } from "./format.js";
import type { RunSummary } from "./run-summary.js";
import { SUMMARY_HEADERS, outcome, safetyTotals, summaryRows } from "./summary-rows.js";

export function formatRunSummaryTable(run: RunSummary): string {
  const rows = summaryRows(run).map((r) => [
    r.stage,
    r.version,
    r.decision,
    r.score,
    r.behavior,
    r.bc,
    String(r.safety_events),
  ]);
  const lines: string[] = [
    `run ${run.run_id} · robot ${run.robot} · wall time ${formatDuration(run.wall_time_s)}`,
  ];
  if (rows.length === 0) lines.push("no stage ran");
  else lines.push(...alignColumns([SUMMARY_HEADERS, ...rows]));
  const totals = safetyTotals(run);
  lines.push(`safety events: ${run.safety_events.length}${totals ? ` (${totals})` : ""}`);
  const byStage = severitiesByStage(run.safety_events);
  if (byStage) lines.push(`  by stage: ${byStage}`);
  lines.push(outcome(run.stages));
  lines.push(`model:  ${run.paths.model}`);
  if (run.paths.report !== undefined) lines.push(`report: ${run.paths.report}`);
  return lines.join("\n");
}

function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join("  ")
      .trimEnd(),
  );
}
