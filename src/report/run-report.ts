/**
 * The run report: one self-contained HTML page (inline CSS, inline SVG charts rendered from Vega-Lite, no
 * scripts, no external URLs) that shows why each stage of a run passed or did not.
 * `writeRunReport(dir, run)` writes <dir>/report.html and <dir>/run-summary.json (dir = logs/<run>);
 * `rebuildRunReport(dir)` rebuilds the page from run-summary.json alone (`tether report <run-dir>`).
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reportCharts, stageLabels, type ChartSpec } from "./charts.js";
import { groupEvents, severitiesByStage } from "./event-groups.js";
import { formatDuration, formatNumber } from "./format.js";
import { escapeHtml, table } from "./html.js";
import { readRunSummary } from "./run-summary-file.js";
import type { RunSummary } from "./run-summary.js";
import { SUMMARY_HEADERS, outcome, safetyTotals, summaryRows } from "./summary-rows.js";
import { renderVegaLiteSvg } from "../data/plots.js";

export const REPORT_FILE = "report.html";
export const SUMMARY_FILE = "run-summary.json";

/** Safety events listed one per row; the rest are counted (all are in the chart and in run-summary.json). */
const MAX_EVENT_ROWS = 300;

const CSS = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --line: #dfe3e8; --ok: #1f7a3a; --bad: #b3261e; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); background: #f6f7f9; }
header { background: #1d2430; color: #fff; padding: 24px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 650; }
header p { margin: 0; color: #c9d1dc; }
header .outcome { margin-top: 10px; font-size: 16px; color: #fff; }
nav { padding: 8px 32px; background: #fff; border-bottom: 1px solid var(--line); font-size: 14px; }
nav a { margin-right: 16px; color: #2f5d9a; text-decoration: none; }
main { max-width: 1000px; margin: 0 auto; padding: 8px 24px 48px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 24px; margin: 20px 0; }
h2 { font-size: 18px; margin: 4px 0 12px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
figure.chart { margin: 12px 0 20px; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
p.empty { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 6px 0 12px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.promote { background: var(--ok); } .badge.hold { background: var(--warn); } .badge.rollback { background: var(--bad); }
.pass { color: var(--ok); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; background: #f0f2f5; padding: 1px 4px; border-radius: 3px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dt { color: var(--muted); } dd { margin: 0; }
`;

/** Builds the page. Every chart is rendered to SVG here, so the page needs nothing at view time. */
export async function buildRunReport(run: RunSummary): Promise<string> {
  const charts = reportCharts(run);
  const svgs = new Map<string, string>();
  for (const [id, chart] of Object.entries(charts)) {
    if (chart !== undefined) svgs.set(id, await renderVegaLiteSvg(chart.spec));
  }
  const figure = (id: string, missing: string): string => {
    const chart: ChartSpec | undefined = charts[id];
    const svg = svgs.get(id);
    if (chart === undefined || svg === undefined)
      return `<p class="empty" data-empty-chart="${escapeHtml(id)}">${escapeHtml(missing)}</p>`;
    return `<figure class="chart" data-chart="${escapeHtml(id)}">${svg}<figcaption>${escapeHtml(chart.caption)}</figcaption></figure>`;
  };

  const title = `Tether run ${run.run_id}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="tether report">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p>robot <strong>${escapeHtml(run.robot)}</strong> · started ${escapeHtml(run.started)}${
    run.wall_time_s === undefined ? "" : ` · wall time ${escapeHtml(formatDuration(run.wall_time_s))}`
  }</p>
<p class="outcome">${escapeHtml(outcome(run.stages))}</p>
</header>
<nav><a href="#summary">Summary</a><a href="#learning-curves">Learning curves</a><a href="#stage-scores">Scores per stage</a><a href="#support-gap">Support gap</a><a href="#safety-events">Safety events</a><a href="#stage-decisions">Stage decisions</a></nav>
<main>
<section id="summary">
<h2>Summary</h2>
${summaryTable(run)}
${pathsList(run)}
</section>
<section id="learning-curves">
<h2>Learning curves</h2>
${figure("offline-loss", "No offline training losses were logged in this run.")}
${figure("offline-score", "No offline evaluation scores were logged in this run.")}
${figure("finetune", "No fine-tuning ran in this run.")}
</section>
<section id="stage-scores">
<h2>Normalized score per stage</h2>
${figure("stage-scores", "No stage measured a normalized score.")}
</section>
<section id="support-gap">
<h2>Support gap</h2>
${figure("support-gap", "No support-gap samples were recorded.")}
</section>
<section id="safety-events">
<h2>Safety events</h2>
${figure("safety-timeline", "No safety events: no monitor fired during this run.")}
${eventsTable(run)}
</section>
<section id="stage-decisions">
<h2>Stage decisions and their gates</h2>
${stageDecisions(run)}
</section>
</main>
</body>
</html>
`;
}

/** Writes <dir>/run-summary.json and <dir>/report.html (each atomically); returns both paths. */
export async function writeRunReport(
  dir: string,
  run: RunSummary,
): Promise<{ report: string; summary: string }> {
  const report = join(dir, REPORT_FILE);
  const summary = join(dir, SUMMARY_FILE);
  const withPath: RunSummary = { ...run, paths: { ...run.paths, report } };
  const html = await buildRunReport(withPath);
  mkdirSync(dir, { recursive: true });
  writeAtomic(summary, JSON.stringify(withPath, null, 2) + "\n");
  writeAtomic(report, html);
  return { report, summary };
}

/** Rebuilds <dir>/report.html from <dir>/run-summary.json; returns the report's path. */
export async function rebuildRunReport(dir: string): Promise<string> {
  const run = readRunSummary(join(dir, SUMMARY_FILE));
  const report = join(dir, REPORT_FILE);
  writeAtomic(report, await buildRunReport(run));
  return report;
}

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function decisionBadge(decision: string): string {
  return `<span class="badge ${escapeHtml(decision)}">${escapeHtml(decision)}</span>`;
}

function summaryTable(run: RunSummary): string {
  if (run.stages.length === 0) return `<p class="empty">No stage ran.</p>`;
  const rows = summaryRows(run).map((r) => [
    escapeHtml(r.stage),
    escapeHtml(r.version),
    decisionBadge(r.decision),
    escapeHtml(r.score),
    escapeHtml(r.behavior),
    escapeHtml(r.bc),
    String(r.safety_events),
  ]);
  const totals = safetyTotals(run);
  const byStage = severitiesByStage(run.safety_events);
  return (
    table(SUMMARY_HEADERS, rows, "summary") +
    `\n<p>Safety events in total: <strong>${run.safety_events.length}</strong>${totals ? ` (${escapeHtml(totals)})` : ""}.</p>` +
    (byStage ? `\n<p>By stage: ${escapeHtml(byStage)}.</p>` : "")
  );
}

function pathsList(run: RunSummary): string {
  const item = (label: string, values: string[] | undefined): string =>
    values === undefined || values.length === 0
      ? ""
      : `<dt>${escapeHtml(label)}</dt><dd>${values.map((v) => `<code>${escapeHtml(v)}</code>`).join("<br>")}</dd>`;
  return `<dl class="paths">${item("model", [run.paths.model])}${item("report", run.paths.report === undefined ? undefined : [run.paths.report])}${item(
    "datasets",
    run.paths.datasets,
  )}${item("run logs (MCAP)", run.paths.run_logs)}</dl>`;
}

function eventsTable(run: RunSummary): string {
  if (run.safety_events.length === 0) return "";
  const groups = groupEvents(run.safety_events);
  const rows = groups
    .slice(0, MAX_EVENT_ROWS)
    .map((g) => [
      escapeHtml(g.stage),
      escapeHtml(g.monitor),
      escapeHtml(g.key),
      escapeHtml(g.severity),
      String(g.count),
      g.count === 1 ? formatNumber(g.first, 3) : `${formatNumber(g.first, 3)} – ${formatNumber(g.last, 3)}`,
      escapeHtml(g.message),
    ]);
  const more = groups.length - rows.length;
  return (
    `<p>Repeated events are grouped: one row per stage, monitor, key and severity (the message is the first one's).</p>\n` +
    table(["stage", "monitor", "key", "severity", "count", "time (s)", "first message"], rows, "events") +
    (more > 0 ? `\n<p>${more} more groups are in <code>run-summary.json</code>.</p>` : "")
  );
}

function stageDecisions(run: RunSummary): string {
  if (run.stages.length === 0) return `<p class="empty">No stage decisions were recorded.</p>`;
  const labels = stageLabels(run);
  return run.stages
    .map((s, i) => {
      const rolled =
        s.rolled_back_to === undefined ? "" : ` → rolled back to ${escapeHtml(s.rolled_back_to)}`;
      const rows = s.checks.map((c) => [
        escapeHtml(c.gate),
        formatNumber(c.observed),
        formatNumber(c.threshold),
        escapeHtml(c.rule),
        c.passed ? `<span class="pass">✓ passed</span>` : `<span class="fail">✗ failed</span>`,
      ]);
      const checks =
        rows.length === 0
          ? `<p class="empty">This stage had no gates.</p>`
          : table(["gate", "observed", "threshold", "rule", "result"], rows, "gates");
      return `<div class="stage" data-stage="${escapeHtml(s.stage)}" data-version="${escapeHtml(s.version)}">
<h3>${i + 1}. ${escapeHtml(labels[i])} · ${escapeHtml(s.version)} ${decisionBadge(s.decision)}${rolled}</h3>
<p>${escapeHtml(s.time)}</p>
${checks}
</div>`;
    })
    .join("\n");
}
